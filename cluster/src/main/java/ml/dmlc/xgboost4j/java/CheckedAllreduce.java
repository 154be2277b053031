package ml.dmlc.xgboost4j.java;

import java.nio.ByteBuffer;

/**
 * XGBoost4J's all-reduce with its error code checked. In xgboost4j 3.4.0, Communicator.allReduce(float[], OpType)
 * drops the return code of the native call, so when a peer dies mid-sum it returns this rank's own numbers as if
 * they were the sum (seen in dip-cluster's executor-kill test). The native entry point is package-private, hence
 * this one class in XGBoost's package; it adds nothing but the check (XGBoostJNI.checkCall, as every other
 * XGBoost4J call does).
 */
public final class CheckedAllreduce {
    private CheckedAllreduce() {
    }

    /** The elementwise float sum over every rank of {@code count} floats at the start of the direct buffer, in place. */
    public static void sumFloats(ByteBuffer direct, int count) throws XGBoostError {
        XGBoostJNI.checkCall(XGBoostJNI.CommunicatorAllreduce(direct, count,
                Communicator.DataType.FLOAT32.getEnumOp(), Communicator.OpType.SUM.getOperand()));
    }
}
