package dip.eval;

import org.ejml.data.DMatrixRMaj;

/**
 * Mean and covariance of a feature set (n rows of d features), in double: Σ = Σ_i (f_i − μ)(f_i − μ)ᵀ / (n − 1),
 * the unbiased estimate (numpy's cov, as pytorch-fid uses).
 */
public record FeatureStats(double[] mean, DMatrixRMaj cov, int count) {

    public int dim() { return mean.length; }

    /** Statistics of features (n, d), row-major. */
    public static FeatureStats of(float[] features, int n, int d) {
        if (n < 2) throw new IllegalArgumentException("need at least 2 feature rows for a covariance, got " + n);
        double[] mu = new double[d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) mu[j] += features[i * d + j];
        for (int j = 0; j < d; j++) mu[j] /= n;
        double[] c = new double[d * d];
        double[] centred = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) centred[j] = features[i * d + j] - mu[j];
            for (int j = 0; j < d; j++) {
                double cj = centred[j];
                for (int k = j; k < d; k++) c[j * d + k] += cj * centred[k];    // upper triangle
            }
        }
        var cov = new DMatrixRMaj(d, d);
        for (int j = 0; j < d; j++) {
            for (int k = j; k < d; k++) {
                double v = c[j * d + k] / (n - 1);
                cov.set(j, k, v);
                cov.set(k, j, v);
            }
        }
        return new FeatureStats(mu, cov, n);
    }
}
