package dip.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Crash-safe file replacement: the body writes {@code <file>.tmp} in the same directory, which is forced to disk,
 * renamed over {@code file} in one atomic step, and then the directory is forced too (where the OS allows).
 * A crash at any moment leaves the old file or the new one, never a torn one; a leftover .tmp is harmless and is
 * overwritten by the next write. If the body throws, the .tmp is deleted and {@code file} is untouched.
 */
public final class AtomicFile {
    private AtomicFile() {}

    /** Writes the file's new content to an open channel (positioned at 0, empty). */
    @FunctionalInterface
    public interface Body {
        void write(FileChannel out) throws IOException;
    }

    public static void write(Path file, Body body) throws IOException {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException(file + ": cannot write, the directory " + dir + " does not exist");
        }
        Path tmp = dir.resolve(abs.getFileName() + ".tmp");
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                body.write(ch);
                ch.force(true);                                // data and size on disk before the rename
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException(file + ": this file system cannot rename atomically (" + e.getMessage() + ")", e);
            }
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
        forceDirectory(dir);
    }

    /** Makes the rename durable: fsync of the directory. Linux allows it; where the OS refuses, there is nothing to do. */
    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open a directory as a channel; the rename is still atomic there, only less durable.
        }
    }
}
