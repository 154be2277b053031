package dip.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `dip sample --shard K/N` then `--merge-shards N`: the same bytes as one machine, and bad shards refused. */
class SampleShardTest {
    @org.junit.jupiter.api.io.TempDir static Path dir;

    static String[] job(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("--checkpoint", SampleCommandTest.ckpt.toString(), "--n-per-class", "3",
                "--steps", "3", "--out", out.toString(), "--engine", "java", "--threads", "1", "--batch", "6"));
        a.addAll(List.of(more));
        if (!a.contains("--seed")) a.addAll(List.of("--seed", "11"));
        return a.toArray(String[]::new);
    }

    @Test
    void threeShardsMergeIntoTheOneMachineBytes() throws Exception {
        SampleCommandTest.dir = dir;                          // its random checkpoint, written into this test's folder
        SampleCommandTest.writeCheckpoint();
        Path whole = dir.resolve("whole"), sharded = dir.resolve("sharded");
        var r = SampleCommandTest.run(job(whole, "--individual"));
        assertEquals(0, r.code(), r.err());
        // 4 classes × 3 = 12 images, --batch 6: forwards of 3 guided images, 4 chunks; 3 shards take 1, 1 and 2 chunks
        // (images 0-2, 3-5, 6-11), across class boundaries on purpose
        var missing = SampleCommandTest.run(job(sharded, "--merge-shards", "3"));
        assertEquals(2, missing.code(), missing.err());
        assertTrue(missing.err().contains("shard 0 of 3 is missing"), missing.err());
        for (int k = 2; k >= 0; k--) {                       // any order: shards are independent
            var s = SampleCommandTest.run(job(sharded, "--shard", k + "/3"));
            assertEquals(0, s.code(), s.err());
            assertTrue(s.out().contains("wrote shard " + k + "/3"), s.out());
        }
        var m = SampleCommandTest.run(job(sharded, "--merge-shards", "3", "--individual"));
        assertEquals(0, m.code(), m.err());
        var a = dip.io.Safetensors.read(whole.resolve("samples.safetensors"));
        var b = dip.io.Safetensors.read(sharded.resolve("samples.safetensors"));
        assertEquals(a.metadata(), b.metadata());
        assertArrayEquals(a.tensor("noise").floats(), b.tensor("noise").floats(), 0f, "noise");
        assertArrayEquals(a.tensor("labels").ints(), b.tensor("labels").ints(), "labels");
        assertArrayEquals(a.tensor("samples").floats(), b.tensor("samples").floats(), 0f, "samples");
        for (String f : List.of("samples.safetensors", "grid.png")) {
            assertArrayEquals(Files.readAllBytes(whole.resolve(f)), Files.readAllBytes(sharded.resolve(f)), f);
        }
        try (var files = Files.list(whole.resolve("images"))) {
            for (Path p : (Iterable<Path>) files::iterator) {
                assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(sharded.resolve("images").resolve(p.getFileName())),
                        p.getFileName().toString());
            }
        }
        // a shard of another job (other seed) is refused by name
        var other = SampleCommandTest.run(job(sharded, "--shard", "1/3", "--seed", "12"));
        assertEquals(0, other.code(), other.err());
        var bad = SampleCommandTest.run(job(sharded, "--merge-shards", "3"));
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("1-of-3.safetensors is a shard of another job"), bad.err());
        var badShard = SampleCommandTest.run(job(sharded, "--shard", "3/3"));
        assertEquals(2, badShard.code());
        assertTrue(badShard.err().contains("--shard must be K/N with 0 <= K < N"), badShard.err());
    }
}
