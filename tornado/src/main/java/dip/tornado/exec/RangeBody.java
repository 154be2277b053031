package dip.tornado.exec;

/** A slice [lo, hi) of a kernel's {@code @Parallel} dimension; the engine decides how to split the whole range. */
@FunctionalInterface
public interface RangeBody {
    void run(int lo, int hi);
}
