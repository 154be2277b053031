package dip.tornado.exec;

/**
 * What a device engine has done so far, as running totals: passes and graph executions, plan rebuilds (the host
 * changed an array the device holds), bytes each way across the bus, and the device's kernel time beside the whole
 * time spent in the device runtime. Subtract two readings ({@link #minus}) to get one step's share.
 */
public record DeviceCounters(long passRuns, long graphRuns, long rebuilds, long bytesIn, long bytesOut,
                             long kernelNanos, long totalNanos) {

    public DeviceCounters minus(DeviceCounters o) {
        return new DeviceCounters(passRuns - o.passRuns, graphRuns - o.graphRuns, rebuilds - o.rebuilds,
                bytesIn - o.bytesIn, bytesOut - o.bytesOut, kernelNanos - o.kernelNanos, totalNanos - o.totalNanos);
    }
}
