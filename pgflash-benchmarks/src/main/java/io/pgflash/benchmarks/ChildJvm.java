package io.pgflash.benchmarks;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A measurement in a JVM of its own, with a heap limit of its own: its {@code main} prints one line starting with
 * {@link #RESULT} and the numbers measured, separated by spaces.
 */
final class ChildJvm {

    static final String RESULT = "BENCH-RESULT ";

    /** The numbers a child printed, or why it failed. */
    record Run(double[] fields, String failure) {
    }

    private ChildJvm() {
    }

    /** Runs {@code main}'s class with {@code heap} (as {@code -Xmx256m}) against {@code server}. */
    static Run run(Class<?> main, String heap, BenchServer server, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), heap,
                "-Dbench.url=" + server.url, "-Dbench.user=" + server.user, "-Dbench.password=" + server.password,
                "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        double[] fields = null;
        StringBuilder tail = new StringBuilder();
        try (BufferedReader output = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = output.readLine(); line != null; line = output.readLine()) {
                if (line.startsWith(RESULT)) {
                    fields = Stream.of(line.substring(RESULT.length()).split(" ")).mapToDouble(Double::parseDouble)
                            .toArray();
                } else {
                    tail.append(line).append('\n');
                    if (tail.length() > 4000) {
                        tail.delete(0, tail.length() - 4000);
                    }
                }
            }
        }
        int exit = child.waitFor();
        if (fields == null || exit != 0) {
            System.out.println(String.join(" ", args) + " failed (exit " + exit + "):\n" + tail);
            return new Run(null, "exit " + exit + ": " + tail.toString().lines()
                    .filter(line -> line.contains("Exception") || line.contains("Error")).findFirst().orElse(""));
        }
        return new Run(fields, null);
    }
}
