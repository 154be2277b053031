package dip.data;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class LoaderTest {

    /** n images of 1×2×2 whose pixels all equal index/100 and whose label is index % 3; may fail at one index. */
    static final class Fake implements Dataset {
        final int n, failAt;
        Fake(int n, int failAt) { this.n = n; this.failAt = failAt; }
        @Override public int size() { return n; }
        @Override public int numClasses() { return 3; }
        @Override public List<String> classNames() { return List.of("a", "b", "c"); }
        @Override public int channels() { return 1; }
        @Override public int imageSize() { return 2; }
        @Override public int read(int index, float[] dst, int offset) throws IOException {
            if (index == failAt) throw new IOException("cannot read image " + index);
            Arrays.fill(dst, offset, offset + 4, index / 100f);
            return index % 3;
        }
    }

    /** The image indices of the next k batches. */
    private static List<int[]> take(Loader l, int k) throws IOException {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            var b = l.next();
            int[] idx = new int[l.batchSize()];
            for (int j = 0; j < idx.length; j++) {
                idx[j] = Math.round(b.x[j * 4] * 100);
                assertEquals(idx[j] % 3, b.y[j], "label travels with its image");
            }
            out.add(idx);
        }
        return out;
    }

    @Test void sameSeedSameBatchesAndEachEpochIsAPermutation() throws IOException {
        List<int[]> a, b, c;
        try (var l = new Loader(new Fake(10, -1), 3, 42, 2)) {
            assertEquals(3, l.batchesPerEpoch());               // 10 / 3: the last image of each epoch is dropped
            a = take(l, 7);
            assertEquals(new Loader.State(2, 1), l.state());
        }
        try (var l = new Loader(new Fake(10, -1), 3, 42, 1)) { b = take(l, 7); }
        try (var l = new Loader(new Fake(10, -1), 3, 43, 2)) { c = take(l, 7); }
        for (int i = 0; i < 7; i++) assertArrayEquals(a.get(i), b.get(i), "batch " + i);
        assertFalse(Arrays.equals(a.get(0), c.get(0)) && Arrays.equals(a.get(1), c.get(1)), "another seed, other batches");
        int[] seen = new int[10];
        for (int i = 0; i < 3; i++) for (int v : a.get(i)) seen[v]++;
        for (int i = 0; i < 3; i++) assertFalse(Arrays.equals(a.get(i), a.get(i + 3)), "epochs are shuffled differently");
        assertEquals(9, Arrays.stream(seen).sum());
        for (int s : seen) assertTrue(s <= 1, "an image twice in one epoch");
    }

    @Test void stateSaveAndRestoreContinuesTheSameStream() throws IOException {
        List<int[]> all, tail;
        Loader.State saved;
        try (var l = new Loader(new Fake(10, -1), 3, 7, 2)) {
            all = take(l, 8);
        }
        try (var l = new Loader(new Fake(10, -1), 3, 7, 2)) {
            take(l, 4);
            saved = Loader.State.parse(l.state().toString());    // as a checkpoint would store it
        }
        assertEquals(new Loader.State(1, 1), saved);
        try (var l = new Loader(new Fake(10, -1), 3, 7, 2, saved)) { tail = take(l, 4); }
        for (int i = 0; i < 4; i++) assertArrayEquals(all.get(4 + i), tail.get(i), "batch " + (4 + i));
        assertThrows(IllegalArgumentException.class, () -> Loader.State.parse("3"));
    }

    @Test void aReaderExceptionSurfacesInTheConsumer() throws IOException {
        int[] perm = Loader.permutation(10, 5, 0);
        int failAt = perm[4];                                    // the second batch of epoch 0 hits it
        try (var l = new Loader(new Fake(10, failAt), 3, 5, 2)) {
            l.next();
            var e = assertThrows(IOException.class, l::next);
            assertEquals("data loader: cannot read image " + failAt, e.getMessage());
            assertThrows(IOException.class, l::next, "and keeps failing");
        }
    }

    @Test void closeStopsTheThreadAndRejectsTooSmallDatasets() throws Exception {
        var l = new Loader(new Fake(100, -1), 4, 1, 2);
        l.next();
        l.close();
        assertThrows(IllegalStateException.class, l::next);
        Thread.sleep(50);
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("dip-data-loader") && t.isAlive()));
        assertThrows(IllegalArgumentException.class, () -> new Loader(new Fake(2, -1), 3, 1, 1));
    }
}
