package io.pgflash.benchmarks;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Backlog drain: a consumer is stopped, {@code backlog} rows are committed (100-row statements from 4 pgbench
 * clients), then the consumer starts and reads them all. Each consumer runs in its own JVM with {@code -Xmx256m}, so
 * the run also shows whether the backlog fits in a small heap (backpressure, not an ever-growing queue); the child
 * samples its heap every 10 ms.
 */
final class BacklogDrain {

    static final String HEAP = "-Xmx256m";
    private static final String RESULT = "DRAIN-RESULT ";

    /** Events per second while draining, the peak heap used, and whether the run finished. */
    record Result(long events, double seconds, double eventsPerSecond, double peakHeapMb, boolean finished,
            String failure) {
    }

    private final BenchServer server;
    private final int backlog;

    BacklogDrain(BenchServer server, int backlog) {
        this.server = server;
        this.backlog = backlog;
    }

    Result run(Consumers kind) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), HEAP,
                "-Dbench.url=" + server.url, "-Dbench.user=" + server.user, "-Dbench.password=" + server.password,
                "-cp", System.getProperty("java.class.path"), BacklogDrain.class.getName(), kind.name(),
                String.valueOf(backlog)));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        Result result = null;
        StringBuilder tail = new StringBuilder();
        try (BufferedReader output = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = output.readLine(); line != null; line = output.readLine()) {
                if (line.startsWith(RESULT)) {
                    String[] fields = line.substring(RESULT.length()).split(" ");
                    result = new Result(Long.parseLong(fields[0]), Double.parseDouble(fields[1]),
                            Double.parseDouble(fields[2]), Double.parseDouble(fields[3]), true, null);
                } else {
                    tail.append(line).append('\n');
                    if (tail.length() > 4000) {
                        tail.delete(0, tail.length() - 4000);
                    }
                }
            }
        }
        int exit = child.waitFor();
        if (result == null || exit != 0) {
            return new Result(0, 0, 0, 0, false, "exit " + exit + ":\n" + tail);
        }
        System.out.printf("backlog drain, %-28s %d events in %.1f s: %8.0f/s, peak heap %.0f MB (%s)%n", kind,
                result.events(), result.seconds(), result.eventsPerSecond(), result.peakHeapMb(), HEAP);
        return result;
    }

    /** The child JVM: args are the consumer kind and the backlog size; the server comes from bench.url. */
    public static void main(String[] args) throws Exception {
        Consumers kind = Consumers.valueOf(args[0]);
        int backlog = Integer.parseInt(args[1]);
        try (BenchServer server = BenchServer.start()) {
            server.recreateBenchTable();
            try (ChangeConsumer consumer = kind.create(server)) {
                Consumers.startAndWarmUp(consumer, server);
                consumer.stop();
                long before = consumer.received();
                server.pgbenchCount(WriteOverhead.rows(100), 4, backlog / 100);

                System.gc();
                AtomicLong peak = new AtomicLong();
                Thread sampler = new Thread(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        peak.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(),
                                Math::max);
                        try {
                            Thread.sleep(10);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "heap-sampler");
                sampler.setDaemon(true);
                sampler.start();
                long start = System.nanoTime();
                consumer.start();
                Consumers.awaitReceived(consumer, before + backlog, Duration.ofMinutes(20));
                double seconds = (System.nanoTime() - start) / 1e9;
                sampler.interrupt();
                System.out.println(RESULT + backlog + " " + seconds + " " + backlog / seconds + " "
                        + peak.get() / 1024.0 / 1024.0);
            }
        }
        System.exit(0); // engines may leave non-daemon threads behind
    }
}
