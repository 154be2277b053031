package dip.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `dip sample --shard K/N` then `--merge-shards N`: the same bytes as one machine (grid, samples.safetensors,
 * individual PNGs, --npz; with --first-index and a --noise file too), and bad shards and combinations refused.
 */
class SampleShardTest {
    @org.junit.jupiter.api.io.TempDir static Path dir;

    @BeforeAll
    static void checkpoint() throws Exception {
        SampleCommandTest.dir = dir;                          // its random checkpoint, written into this test's folder
        SampleCommandTest.writeCheckpoint();
    }

    /** 3 classes × 4 = 12 images, --batch 6: forwards of 3 guided images, so 4 chunks, across class boundaries. */
    static String[] job(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("--checkpoint", SampleCommandTest.ckpt.toString(), "--n-per-class", "4",
                "--steps", "3", "--out", out.toString(), "--engine", "java", "--threads", "1", "--batch", "6"));
        a.addAll(List.of(more));
        if (!a.contains("--seed")) a.addAll(List.of("--seed", "11"));
        return a.toArray(String[]::new);
    }

    static String[] concat(String[] a, String... b) {
        List<String> l = new ArrayList<>(List.of(a));
        l.addAll(List.of(b));
        return l.toArray(String[]::new);
    }

    static void ok(SampleCommandTest.Run r) {
        assertEquals(0, r.code(), r.out() + r.err());
    }

    static void refused(SampleCommandTest.Run r, String says) {
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains(says), r.err());
    }

    static void sameFiles(Path a, Path b, String... files) throws Exception {
        for (String f : files) assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
    }

    static void sameImages(Path whole, Path sharded) throws Exception {
        try (var files = Files.list(whole.resolve("images"))) {
            List<Path> all = files.toList();
            assertEquals(12, all.size());
            for (Path p : all) {
                assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(sharded.resolve("images").resolve(p.getFileName())),
                        p.getFileName().toString());
            }
        }
    }

    @Test
    void threeShardsMergeIntoTheOneMachineBytes() throws Exception {
        Path whole = dir.resolve("whole"), sharded = dir.resolve("sharded");
        ok(SampleCommandTest.run(job(whole, "--individual")));
        // 4 chunks: the 3 shards take 1, 1 and 2 of them (images 0-2, 3-5, 6-11)
        refused(SampleCommandTest.run(job(sharded, "--merge-shards", "3")), "shard 0 of 3 is missing");
        for (int k = 2; k >= 0; k--) {                       // any order: shards are independent
            var s = SampleCommandTest.run(job(sharded, "--shard", k + "/3", "--individual"));
            ok(s);
            assertTrue(s.out().contains("wrote shard " + k + "/3"), s.out());
        }
        assertTrue(SampleCommandTest.run(job(sharded, "--shard", "2/3")).out().contains("images 6..11"));
        assertFalse(Files.exists(sharded.resolve("grid.png")), "a shard writes only its shard file");
        var m = SampleCommandTest.run(job(sharded, "--merge-shards", "3", "--individual"));
        ok(m);
        assertTrue(m.out().contains("merged 3 shards"), m.out());
        var a = dip.io.Safetensors.read(whole.resolve("samples.safetensors"));
        var b = dip.io.Safetensors.read(sharded.resolve("samples.safetensors"));
        assertEquals(a.metadata(), b.metadata());
        assertArrayEquals(a.tensor("noise").floats(), b.tensor("noise").floats(), 0f, "noise");
        assertArrayEquals(a.tensor("labels").ints(), b.tensor("labels").ints(), "labels");
        assertArrayEquals(a.tensor("samples").floats(), b.tensor("samples").floats(), 0f, "samples");
        sameFiles(whole, sharded, "samples.safetensors", "grid.png");
        sameImages(whole, sharded);
        // a merged run's PNG replays byte for byte on one machine (its settings say the engine and chunk it was made in)
        Path png;
        try (var files = Files.list(sharded.resolve("images"))) {
            png = files.sorted().toList().get(7);
        }
        var replay = SampleCommandTest.run("--from-png", png.toString(), "--out", dir.resolve("replay").toString());
        ok(replay);
        assertTrue(replay.out().contains("byte for byte"), replay.out());

        // a shard of another job (other seed) is refused by name
        ok(SampleCommandTest.run(job(sharded, "--shard", "1/3", "--seed", "12")));
        refused(SampleCommandTest.run(job(sharded, "--merge-shards", "3")), "1-of-3.safetensors is a shard of another job");
        // so is one cut for another --batch
        String[] otherBatch = job(sharded, "--shard", "1/3");
        otherBatch[List.of(otherBatch).indexOf("--batch") + 1] = "8";
        ok(SampleCommandTest.run(otherBatch));
        refused(SampleCommandTest.run(job(sharded, "--merge-shards", "3")), "1-of-3.safetensors is a shard of another job");
    }

    @Test
    void firstIndexNpzAndNoiseFileShardsMatchOneMachine() throws Exception {
        // --first-index and --npz (streamed by the merge, shard by shard): same npz bytes
        Path whole = dir.resolve("npz-whole"), sharded = dir.resolve("npz-sharded");
        ok(SampleCommandTest.run(job(whole, "--first-index", "100", "--npz", whole.resolve("s.npz").toString())));
        for (int k = 0; k < 2; k++) {
            ok(SampleCommandTest.run(job(sharded, "--first-index", "100", "--shard", k + "/2", "--npz",
                    sharded.resolve("s.npz").toString())));
        }
        assertFalse(Files.exists(sharded.resolve("s.npz")), "a shard leaves the npz to the merge");
        ok(SampleCommandTest.run(job(sharded, "--first-index", "100", "--merge-shards", "2", "--npz",
                sharded.resolve("s.npz").toString())));
        sameFiles(whole, sharded, "s.npz");
        assertFalse(Files.exists(sharded.resolve("grid.png")), "--npz: no grid, as on one machine");
        // the shards of another --first-index are another job
        refused(SampleCommandTest.run(job(sharded, "--merge-shards", "2", "--npz", sharded.resolve("t.npz").toString())),
                "is a shard of another job");

        // a --noise file (with its labels): the shards take their images' rows of it
        Path noise = dir.resolve("noise-src");
        ok(SampleCommandTest.run(job(noise, "--seed", "3")));
        String nf = noise.resolve("samples.safetensors").toString();
        String[] fromFile = {"--checkpoint", SampleCommandTest.ckpt.toString(), "--noise", nf, "--steps", "2",
                "--engine", "java", "--threads", "1", "--batch", "4", "--individual"};
        Path one = dir.resolve("noise-one"), two = dir.resolve("noise-two");
        ok(SampleCommandTest.run(concat(fromFile, "--out", one.toString())));
        for (int k = 0; k < 4; k++) ok(SampleCommandTest.run(concat(fromFile, "--out", two.toString(), "--shard", k + "/4")));
        ok(SampleCommandTest.run(concat(fromFile, "--out", two.toString(), "--merge-shards", "4")));
        sameFiles(one, two, "samples.safetensors", "grid.png");
        sameImages(one, two);
    }

    @Test
    void refusesWhatCannotBeSharded() throws Exception {
        Path out = dir.resolve("refused");
        refused(SampleCommandTest.run(job(out, "--shard", "3/3")), "--shard must be K/N with 0 <= K < N");
        refused(SampleCommandTest.run(job(out, "--shard", "x")), "--shard must be K/N with 0 <= K < N");
        refused(SampleCommandTest.run(job(out, "--shard", "0/5")), "at most 4 shards");
        refused(SampleCommandTest.run(job(out, "--merge-shards", "5")), "at most 4 shards");
        refused(SampleCommandTest.run(job(out, "--merge-shards", "0")), "--merge-shards must be >= 1");
        refused(SampleCommandTest.run(job(out, "--shard", "0/2", "--merge-shards", "2")), "do not go together");
        refused(SampleCommandTest.run(job(out, "--shard", "0/2", "--trajectory")), "--trajectory needs the whole job");
        refused(SampleCommandTest.run(job(out, "--merge-shards", "2", "--trajectory")), "--trajectory needs the whole job");
        refused(SampleCommandTest.run(job(out, "--cluster", "local[2]", "--trajectory")), "--trajectory needs the whole job");
        refused(SampleCommandTest.run(job(out, "--cluster", "local[2]", "--shards", "0")), "--shards must be >= 1");
        refused(SampleCommandTest.run(job(out, "--cluster", "local[2]", "--shards", "5")), "at most 4 shards");
        refused(SampleCommandTest.run(job(out, "--cluster", "local[2]")), "--cluster needs Spark and the dip-cluster jar");
        refused(SampleCommandTest.run("--from-png", out.resolve("x.png").toString(), "--shard", "0/2"),
                "--from-png remakes one image on this machine");
        assertFalse(Files.exists(out), "nothing written");
    }
}
