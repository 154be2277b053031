package dip.io;

import java.io.IOException;
import java.nio.file.Path;

/** A bad safetensors file or checkpoint: the one-line message names the file and the problem. */
public final class SafetensorsException extends IOException {
    public SafetensorsException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public SafetensorsException(String message) {
        super(message);
    }
}
