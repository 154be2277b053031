package dip.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class AtomicFileTest {
    @TempDir Path dir;

    @Test void aWriteThatThrowsMidwayLeavesTheOldFileIntact() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        Safetensors.write(f, List.of(Tensor.f32("w", new int[]{2}, new float[]{1f, 2f})), Map.of("step", "1"));
        byte[] before = Files.readAllBytes(f);

        var e = assertThrows(IOException.class, () -> AtomicFile.write(f, ch -> {
            ch.write(ByteBuffer.wrap(new byte[]{1, 2, 3, 4, 5}));   // half a file reaches the disk ...
            throw new IOException("simulated crash");               // ... then the writer dies
        }));
        assertEquals("simulated crash", e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(f), "old file changed");
        assertFalse(Files.exists(dir.resolve("ckpt.safetensors.tmp")), "temporary file left behind");
        assertEquals("1", Safetensors.read(f).metadata().get("step"));
    }

    @Test void badInputFailsBeforeTheFileIsTouched() throws IOException {
        Path f = dir.resolve("ckpt.safetensors");
        Safetensors.write(f, List.of(Tensor.f32("w", new int[]{1}, new float[]{1f})), Map.of());
        byte[] before = Files.readAllBytes(f);
        Map<String, String> bad = new HashMap<>();
        bad.put("k", null);
        assertThrows(IllegalArgumentException.class,
                () -> Safetensors.write(f, List.of(Tensor.f32("w", new int[]{1}, new float[]{9f})), bad));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.write(f,
                List.of(Tensor.f32("w", new int[]{1}, new float[]{9f}), Tensor.f32("w", new int[]{1}, new float[]{8f})), Map.of()));
        assertArrayEquals(before, Files.readAllBytes(f));
    }

    @Test void aStaleTmpFromAnEarlierCrashIsReplaced() throws IOException {
        Path f = dir.resolve("x.safetensors");
        Files.write(dir.resolve("x.safetensors.tmp"), new byte[]{9, 9, 9});
        Safetensors.write(f, List.of(Tensor.i32("n", new int[]{1}, new int[]{5})), Map.of());
        assertArrayEquals(new int[]{5}, Safetensors.read(f).tensor("n").ints());
        assertFalse(Files.exists(dir.resolve("x.safetensors.tmp")));
    }

    @Test void missingDirectoryIsReported() {
        Path f = dir.resolve("no/such/dir/x.safetensors");
        var e = assertThrows(IOException.class, () -> Safetensors.write(f, List.of(), Map.of()));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }
}
