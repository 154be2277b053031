package dip.cluster.nccl;

import dip.trainer.Collective;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.cuda.nccl.ncclUniqueId;
import org.bytedeco.javacpp.FloatPointer;

import java.util.HexFormat;

import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;
import static org.bytedeco.cuda.global.nccl.ncclAllReduce;
import static org.bytedeco.cuda.global.nccl.ncclCommDestroy;
import static org.bytedeco.cuda.global.nccl.ncclCommInitRank;
import static org.bytedeco.cuda.global.nccl.ncclFloat;
import static org.bytedeco.cuda.global.nccl.ncclGetErrorString;
import static org.bytedeco.cuda.global.nccl.ncclGetUniqueId;
import static org.bytedeco.cuda.global.nccl.ncclSuccess;
import static org.bytedeco.cuda.global.nccl.ncclSum;

/**
 * The trainer's {@link Collective} on NVIDIA's NCCL, through JavaCPP's CUDA presets: one rank per GPU, the sum done
 * by NCCL's ring or tree over NVLink, PCIe or InfiniBand. The gradient is staged through one device buffer of at most
 * {@code bucket} floats (copy in, ncclAllReduce in place, copy out, on one stream), as the XGBoost collective stages
 * it through a direct buffer: the trainer's gradients live in host arrays. NCCL sums floats in IEEE float
 * arithmetic, the one promise {@link Collective} asks for, so a run gives the bits it gives on any other collective.
 *
 * <p>Joining takes a 128-byte NCCL id that rank 0 makes ({@link #newId}) and every rank receives: on Spark, the
 * barrier tasks' allGather carries it. NCCL refuses two ranks on one GPU, so a test needs one GPU per rank; this
 * class is built only by the cluster module's {@code nccl} profile and checked by hand on a multi-GPU machine
 * (docs/scale-out.md).
 */
public final class NcclCollective implements Collective {
    /** NCCL_UNIQUE_ID_BYTES of nccl.h. */
    static final int ID_BYTES = 128;

    private final int rank, size, bucket;
    private final ncclComm comm;
    private final CUstream_st stream;
    private final FloatPointer device;          // bucket floats on the GPU
    private FloatPointer host;                  // staging in native host memory, grown up to bucket floats

    private NcclCollective(int rank, int size, int bucket, ncclComm comm, CUstream_st stream, FloatPointer device) {
        this.rank = rank;
        this.size = size;
        this.bucket = bucket;
        this.comm = comm;
        this.stream = stream;
        this.device = device;
    }

    /** A fresh NCCL id, as hex: rank 0 makes it and hands it to every rank. */
    public static String newId() {
        loaded();
        ncclUniqueId id = new ncclUniqueId();
        check(ncclGetUniqueId(id), "ncclGetUniqueId");
        byte[] b = new byte[ID_BYTES];
        id.internal().get(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * Joins the communicator of {@code size} ranks named by {@code idHex} as {@code rank}, on CUDA device
     * {@code gpu}; blocks until every rank has joined.
     */
    public static NcclCollective join(String idHex, int rank, int size, int gpu, int bucket) {
        if (bucket < 1) throw new IllegalArgumentException("bucket must be >= 1 float, got " + bucket);
        if (rank < 0 || rank >= size) throw new IllegalArgumentException("rank " + rank + " is not in [0, " + size + ")");
        byte[] b = HexFormat.of().parseHex(idHex);
        if (b.length != ID_BYTES) throw new IllegalArgumentException("an NCCL id has " + ID_BYTES + " bytes, got " + b.length);
        loaded();
        cuda(cudaSetDevice(gpu), "cudaSetDevice(" + gpu + ")");
        ncclUniqueId id = new ncclUniqueId();
        id.internal().put(b);
        ncclComm comm = new ncclComm();
        check(ncclCommInitRank(comm, size, id, rank), "ncclCommInitRank(rank " + rank + " of " + size + ")");
        CUstream_st stream = new CUstream_st();
        cuda(cudaStreamCreate(stream), "cudaStreamCreate");
        FloatPointer device = new FloatPointer();
        cuda(cudaMalloc(device, 4L * bucket), "cudaMalloc(" + 4L * bucket + " bytes)");
        return new NcclCollective(rank, size, bucket, comm, stream, device);
    }

    @Override public int rank() { return rank; }

    @Override public int size() { return size; }

    @Override
    public void allReduceSum(float[] x) {
        int cap = Math.min(bucket, Math.max(1, x.length));
        if (host == null || host.capacity() < cap) {
            if (host != null) host.close();
            host = new FloatPointer(cap);
        }
        for (int off = 0; off < x.length; off += bucket) {
            int n = Math.min(bucket, x.length - off);
            host.position(0).put(x, off, n);
            cuda(cudaMemcpyAsync(device, host, 4L * n, cudaMemcpyHostToDevice, stream), "copy to the GPU");
            check(ncclAllReduce(device, device, n, ncclFloat, ncclSum, comm, stream), "ncclAllReduce on rank " + rank);
            cuda(cudaMemcpyAsync(host, device, 4L * n, cudaMemcpyDeviceToHost, stream), "copy from the GPU");
            cuda(cudaStreamSynchronize(stream), "the all-reduce on rank " + rank);
            host.position(0).get(x, off, n);
        }
    }

    /** A one-float sum: it cannot finish before every rank has contributed. */
    @Override
    public void barrier() {
        allReduceSum(new float[1]);
    }

    @Override
    public void close() {
        cudaFree(device);
        cudaStreamDestroy(stream);
        ncclCommDestroy(comm);
        if (host != null) host.close();
    }

    @Override
    public String toString() { return "NCCL collective, rank " + rank + " of " + size; }

    /** Loads JavaCPP's CUDA and NCCL natives, or says what is missing. */
    private static void loaded() {
        try {
            org.bytedeco.javacpp.Loader.load(org.bytedeco.cuda.global.nccl.class);
        } catch (Throwable e) {              // UnsatisfiedLinkError, NoClassDefFoundError
            throw new IllegalStateException("NCCL is not usable here (" + e.getMessage() + "): it needs an NVIDIA GPU,"
                    + " its driver, and JavaCPP's CUDA natives on the class path (org.bytedeco:cuda-platform-redist,"
                    + " see docs/scale-out.md); or use --collective xgboost", e);
        }
    }

    private static void check(int result, String what) {
        if (result != ncclSuccess) throw new IllegalStateException(what + " failed: " + ncclGetErrorString(result).getString());
    }

    private static void cuda(int result, String what) {
        if (result != 0) throw new IllegalStateException(what + " failed: " + cudaGetErrorString(result).getString());
    }
}
