package dip.tornado.exec;

import java.util.Objects;

/**
 * A pass: a named, fixed sequence of kernel calls (its body) over fixed arrays, run by {@link Engine#run}.
 * {@code in} are the arrays the host fills before every run (a batch, the step's numbers); {@code out} are the
 * arrays the host reads after every run (the loss). A device engine records the body the first time and replays it
 * afterwards; everything else the body touches stays on the device between runs. The body must compute only
 * through kernel calls and must make the same calls on the same arrays every time (a device engine checks it).
 * <p>{@code reloads} are state the pass carries from run to run (it reads them before writing them) and that the
 * host sets anew now and then, saying so with {@link Engine#upload}: a sampler's x_t, filled with fresh noise for
 * each batch of images. A device engine sends just these again when they changed; any other array the host changes
 * makes it send everything again.
 */
public record Pass(String name, Object[] in, Object[] out, Object[] reloads, Runnable body) {
    public Pass {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(body, "body");
        in = in == null ? new Object[0] : in.clone();
        out = out == null ? new Object[0] : out.clone();
        reloads = reloads == null ? new Object[0] : reloads.clone();
    }

    /** A pass without reloadable state. */
    public Pass(String name, Object[] in, Object[] out, Runnable body) {
        this(name, in, out, null, body);
    }

    /** A pass with no per-run input or output. */
    public static Pass of(String name, Runnable body) {
        return new Pass(name, null, null, null, body);
    }
}
