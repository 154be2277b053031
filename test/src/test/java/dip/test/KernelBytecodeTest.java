package dip.test;

import dip.tornado.kernels.MatmulKernels;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.MethodNode;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every class in {@code dip.tornado.kernels} obeys the kernel rules at the bytecode level ({@link KernelRules}),
 * which is what TornadoVM sees; and the checker itself catches each kind of violation in a deliberately bad class.
 */
class KernelBytecodeTest {
    static final String KERNELS = "dip/tornado/kernels/";

    /** Reads every top-level class under {@code pkg} from the classpath entry (folder or jar) that holds {@code anchor}. */
    static KernelRules load(Class<?> anchor, String pkg) throws IOException, URISyntaxException {
        KernelRules rules = new KernelRules(pkg);
        Path root = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.list(root.resolve(pkg))) {
                for (Path p : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
                    try (InputStream in = Files.newInputStream(p)) { rules.add(in); }
                }
            }
        } else {
            try (JarFile jar = new JarFile(root.toFile())) {
                for (var e : jar.stream().filter(e -> e.getName().startsWith(pkg) && e.getName().endsWith(".class")
                        && e.getName().indexOf('/', pkg.length()) < 0).toList()) {
                    try (InputStream in = jar.getInputStream(e)) { rules.add(in); }
                }
            }
        }
        return rules;
    }

    @Test void everyKernelClassObeysTheRules() throws Exception {
        KernelRules rules = load(MatmulKernels.class, KERNELS);
        assertFalse(rules.classes().isEmpty(), "no classes found in " + KERNELS);
        assertTrue(rules.classes().containsKey(KERNELS + "MatmulKernels"), "MatmulKernels not found: " + rules.classes().keySet());
        List<String> v = rules.check();
        assertTrue(v.isEmpty(), v.size() + " kernel rule violation(s):\n  " + String.join("\n  ", v));
    }

    @Test void checkerReportsEveryViolationInABadClass() throws Exception {
        KernelRules rules = load(dip.test.badkernels.BadKernels.class, "dip/test/badkernels/");
        List<String> v = rules.check();
        String all = String.join("\n", v);
        String[][] expected = {
                {"BadKernels.returnsInt: returns int"},
                {"BadKernels.objectParam: parameter of type java.lang.Object"},
                {"BadKernels.twoDimArray: parameter of type float[][]"},
                {"BadKernels.allocates: allocates (NEWARRAY)"},
                {"BadKernels.throwsException: allocates (NEW)", "BadKernels.throwsException: throws (ATHROW)",
                        "BadKernels.throwsException: instance call INVOKESPECIAL java/lang/IllegalArgumentException.<init>"},
                {"BadKernels.locks: locks (MONITORENTER)"},
                {"BadKernels.lambda: INVOKEDYNAMIC"},
                {"BadKernels.stringConcat: INVOKEDYNAMIC"},
                {"BadKernels.instanceCall: instance call INVOKEVIRTUAL"},
                {"BadKernels.foreignStatic: calls java.lang.Float.floatToIntBits"},
                {"BadKernels.recursive: recursion through BadKernels.recursive"},
                {"BadKernels.readsMutableStatic: reads static field BadKernels.counter"},
                {"BadKernels.readsObjectStatic: reads static field BadKernels.TABLE"},
                {"BadKernels.usesAssert: uses assert ($assertionsDisabled)"},
                {"BadKernels.helper: allocates (NEWARRAY)"},                    // found through callsBadHelper
                {"BadKernels.matmulForward: no @Parallel loop variable"},
                {"BadKernels.parallelFromParameter: @Parallel variable 'r' is not initialised to the constant 0"},
                {"BadKernels.parallelFromOne: @Parallel variable 'i' is not initialised to the constant 0"},
        };
        for (String[] group : expected) {
            for (String e : group) assertTrue(all.contains(e), "checker missed '" + e + "'; it reported:\n" + all);
        }
        assertFalse(all.contains("mathIsFine"), "Math calls are allowed; it reported:\n" + all);
        assertFalse(all.contains("goodHelper") || all.contains("callsGoodHelper"),
                "a called helper may return a primitive; it reported:\n" + all);
        assertFalse(all.contains("parallelFromZeroIsFine"), "a @Parallel loop from 0 is allowed; it reported:\n" + all);
    }

    @Test void checkerReportsAClassWithoutParallel() throws Exception {
        KernelRules rules = load(MatmulKernels.class, KERNELS);
        for (MethodNode mn : rules.classes().get(KERNELS + "MatmulKernels").methods) {
            mn.visibleLocalVariableAnnotations = null;
            mn.invisibleLocalVariableAnnotations = null;
        }
        List<String> v = rules.check();
        assertTrue(v.contains("MatmulKernels: no @Parallel local variable in the class"), String.join("\n", v));
        assertTrue(v.contains("MatmulKernels.matmulForward: no @Parallel loop variable (a *Forward/*Backward kernel needs one)"),
                String.join("\n", v));
    }

    @Test void checkerReportsAMissingLocalVariableTable() throws Exception {
        KernelRules rules = load(MatmulKernels.class, KERNELS);
        ClassNode mm = rules.classes().get(KERNELS + "MatmulKernels");
        List<String> stripped = new ArrayList<>();
        for (MethodNode mn : mm.methods) {
            if (mn.name.equals("matmulForward")) { mn.localVariables = null; stripped.add(mn.name); }
        }
        assertEquals(List.of("matmulForward"), stripped);
        assertTrue(rules.check().contains("MatmulKernels.matmulForward: no LocalVariableTable (compile with -g: TornadoVM reads @Parallel through it)"),
                String.join("\n", rules.check()));
    }
}
