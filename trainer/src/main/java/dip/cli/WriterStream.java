package dip.cli;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/** Bytes to a command's PrintWriter, decoded as UTF-8 on each flush (the progress bar wants a PrintStream). */
final class WriterStream extends OutputStream {
    private final PrintWriter w;
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

    WriterStream(PrintWriter w) { this.w = w; }

    @Override public synchronized void write(int b) { buf.write(b); }

    @Override public synchronized void write(byte[] b, int off, int len) { buf.write(b, off, len); }

    @Override public synchronized void flush() {
        w.write(buf.toString(StandardCharsets.UTF_8));
        buf.reset();
        w.flush();
    }
}
