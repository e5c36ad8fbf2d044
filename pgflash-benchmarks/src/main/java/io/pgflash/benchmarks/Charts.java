package io.pgflash.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** Bar charts of a run's results, as PNG files beside the report. */
final class Charts {

    private final Path directory;

    Charts(Path directory) {
        this.directory = directory;
    }

    /**
     * One grouped bar chart: categories along x, one bar per series in each.
     *
     * @param series series name to one value per category, in the categories' order
     */
    Path bars(String file, String title, String yAxis, List<String> categories, Map<String, List<Double>> series)
            throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(520).title(title).yAxisTitle(yAxis)
                .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setXAxisLabelRotation(20);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setPlotGridVerticalLinesVisible(false);
        chart.getStyler().setYAxisDecimalPattern("#,##0.##");
        // the exact figures are in the report's tables; the chart shows the proportions
        series.forEach((name, values) -> chart.addSeries(name, categories,
                values.stream().map(value -> Math.round(value * 100) / 100.0).toList()));
        Files.createDirectories(directory);
        Path png = directory.resolve(file);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        return png;
    }
}
