package dip.trainer;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** The loss curve (loss.png): the per-step loss and its moving average against the step, drawn with XChart. */
public final class LossPlot {
    private LossPlot() {
    }

    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    /** Writes the PNG (via a temp file and a rename, so a reader never sees half a picture). Needs ≥ 1 entry. */
    public static void write(Path png, List<MetricsLog.Entry> entries, String title) throws IOException {
        if (entries.isEmpty()) throw new IllegalArgumentException("no losses to plot");
        int n = entries.size();
        double[] step = new double[n], loss = new double[n], avg = new double[n];
        int window = Math.max(1, Math.min(n / 5, Math.max(10, n / 50)));   // 10 steps, or 2% of the run
        double run = 0;
        for (int i = 0; i < n; i++) {
            step[i] = entries.get(i).step();
            loss[i] = entries.get(i).loss();
            run += loss[i];
            if (i >= window) run -= loss[i - window];
            avg[i] = run / Math.min(i + 1, window);
        }
        XYChart chart = new XYChartBuilder().width(800).height(480).title(title).xAxisTitle("step")
                .yAxisTitle("MSE loss (velocity)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setMarkerSize(0);
        XYSeries raw = chart.addSeries("loss per step", step, loss);
        raw.setMarker(SeriesMarkers.NONE);
        raw.setLineWidth(0.8f);
        raw.setLineColor(new Color(150, 170, 210));
        if (window > 1) {
            XYSeries smooth = chart.addSeries("moving average (" + window + " steps)", step, avg);
            smooth.setMarker(SeriesMarkers.NONE);
            smooth.setLineWidth(2f);
            smooth.setLineColor(new Color(200, 60, 40));
        }
        byte[] bytes = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
