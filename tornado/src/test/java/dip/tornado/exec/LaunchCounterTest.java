package dip.tornado.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class LaunchCounterTest {

    /** Each kernel call is one launch, named by its Engine method, with the kernel's work-items; nothing is computed. */
    @Test
    void countsLaunchesAndWorkItemsWithoutComputing() {
        LaunchCounter e = new LaunchCounter();
        float[] a = {1, 2, 3, 4, 5, 6}, out = new float[6], mod = new float[2 * 3 * 3];
        e.zero(a, 6);
        e.matmulForward(out, a, new float[6], 0, new float[3], 0, 2, 3, 3);
        e.gateResidualForward(out, a, a.clone(), mod, 2, 1, 3, 3, 2);
        e.sumSquaresSpans(out, 0, a, new int[] {0, 2, 4, 6}, 3);
        e.sumTo(out, 0, a, 6, 1f);
        assertEquals(List.of(new LaunchCounter.Launch("zero", 6), new LaunchCounter.Launch("matmulForward", 6),
                new LaunchCounter.Launch("gateResidualForward", 6), new LaunchCounter.Launch("sumSquaresSpans", 3),
                new LaunchCounter.Launch("sumTo", 1)), e.launches());
        assertEquals(1f, a[0], "zero ran nothing");
        assertEquals(0f, out[0], "sumTo ran nothing");
    }

    /**
     * A kernel with two @Parallel loops launches rows × columns work-items, which the counter only knows when it
     * overrides the Engine method that calls the kernel (the kernel's own name where Engine has no default for it,
     * as for the matmuls): every such method must be overridden, and nothing else beyond the fixed few.
     */
    @Test
    void overridesExactlyTheKernelsWithTwoParallelLoops() throws IOException {
        Set<String> twoLoops = new TreeSet<>();
        Pattern method = Pattern.compile("public static void (\\w+)\\(");
        try (Stream<Path> files = Files.list(Path.of("src/main/java/dip/tornado/kernels"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String src = Files.readString(f);
                Matcher m = method.matcher(src);
                List<int[]> spans = new ArrayList<>();
                List<String> names = new ArrayList<>();
                while (m.find()) {
                    spans.add(new int[] {m.start()});
                    names.add(m.group(1));
                }
                for (int i = 0; i < names.size(); i++) {
                    int end = i + 1 < spans.size() ? spans.get(i + 1)[0] : src.length();
                    String body = src.substring(spans.get(i)[0], end);
                    if (body.split("@Parallel", -1).length - 1 >= 2) twoLoops.add(names.get(i));
                }
            }
        }
        assertTrue(twoLoops.contains("matmulForward"), "the scan finds the matmuls' two loops: " + twoLoops);
        Map<String, String> caller = new HashMap<>();                  // kernel -> the Engine default that runs it
        String engine = Files.readString(Path.of("src/main/java/dip/tornado/exec/Engine.java"));
        Matcher d = Pattern.compile("default void (\\w+)\\(").matcher(engine);
        List<Integer> starts = new ArrayList<>();
        List<String> defaults = new ArrayList<>();
        while (d.find()) {
            starts.add(d.start());
            defaults.add(d.group(1));
        }
        for (int i = 0; i < defaults.size(); i++) {
            String body = engine.substring(starts.get(i), i + 1 < starts.size() ? starts.get(i + 1) : engine.length());
            Matcher k = Pattern.compile("Kernels\\.(\\w+)\\(").matcher(body);
            while (k.find()) caller.putIfAbsent(k.group(1), defaults.get(i));
        }
        Set<String> wanted = new TreeSet<>();
        for (String k : twoLoops) wanted.add(caller.getOrDefault(k, k));
        Set<String> overridden = new TreeSet<>();
        for (var m : LaunchCounter.class.getDeclaredMethods()) {
            if (java.lang.reflect.Modifier.isPublic(m.getModifiers())) overridden.add(m.getName());
        }
        overridden.removeAll(Set.of("name", "threads", "parallelFor", "launches", "clear", "sumTo", "clipGate"));
        assertEquals(wanted, overridden);
    }
}
