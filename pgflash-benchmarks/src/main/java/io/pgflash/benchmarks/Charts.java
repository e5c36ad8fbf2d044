package io.pgflash.benchmarks;

import java.io.IOException;
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
        CategoryChart chart = new CategoryChartBuilder().width(900).height(480).title(title).yAxisTitle(yAxis)
                .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setXAxisLabelRotation(15);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setPlotGridVerticalLinesVisible(false);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setLabelsFontColorAutomaticEnabled(false);
        series.forEach((name, values) -> chart.addSeries(name, categories, values));
        Path png = directory.resolve(file);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        return png;
    }
}
