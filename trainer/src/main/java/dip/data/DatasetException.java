package dip.data;

import java.io.IOException;

/** Missing or malformed dataset files. The one-line message names the path and, where it helps, how to get the data. */
public final class DatasetException extends IOException {
    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
