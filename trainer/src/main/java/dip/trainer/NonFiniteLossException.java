package dip.trainer;

/** The loss or the gradient norm of a step came out NaN or infinite; the weights were not updated by that step. */
public final class NonFiniteLossException extends RuntimeException {
    private final long step;

    public NonFiniteLossException(long step, String what, double value) {
        super(what + " is " + value + " at step " + step + "; stopped before updating the weights");
        this.step = step;
    }

    /** The 1-based step whose loss or gradient was not finite. */
    public long step() { return step; }
}
