package io.pgflash.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Delivery with writers running: sustained throughput (pgbench inserting single-row transactions as fast as it can
 * while the consumer reads) and latency at fixed write rates. Latency runs from the row's {@code clock_timestamp()} at
 * insert (so it includes the commit) to the listener, both read from this machine's clock: run against a server on
 * another machine, it would mix two clocks.
 */
final class Delivery {

    /**
     * Sustained delivery.
     *
     * @param deliveredPerSecond rows written / time from the first write until the listener had the last one
     * @param catchUpMillis from the end of the writes until the listener had the last row
     */
    record Sustained(double writtenPerSecond, double deliveredPerSecond, double catchUpMillis) {
    }

    /**
     * Latency at one fixed write rate, in milliseconds, measured over {@code seconds}; {@code writersP99} is the
     * writers' own transactions' p99 (their commits), which delivery cannot beat.
     */
    record Latency(int rate, int seconds, double achievedRate, double p50, double p99, double max, int samples,
            double writersP99) {

        /**
         * Whether the writers reached the rate, otherwise the figures are not for that rate: within 5%, or within
         * chance at low rates (pgbench {@code -R} starts transactions at random, so in 10 s at 20/s it starts 200 on
         * average, give or take 14; three such deviations are allowed).
         */
        boolean rateReached() {
            double chance = 3 * Math.sqrt((double) rate * seconds) / seconds;
            return achievedRate >= rate - Math.max(rate * 0.05, chance);
        }
    }

    private final BenchServer server;
    private final int seconds;

    Delivery(BenchServer server, int seconds) {
        this.server = server;
        this.seconds = seconds;
    }

    Map<Consumers, Sustained> sustained(List<Consumers> kinds) throws Exception {
        Map<Consumers, Sustained> results = new LinkedHashMap<>();
        for (Consumers kind : kinds) {
            server.recreateBenchTable();
            try (ChangeConsumer consumer = kind.create(server)) {
                Consumers.startAndWarmUp(consumer, server);
                long before = consumer.received();
                long start = System.nanoTime();
                double tps = server.pgbench(WriteOverhead.SINGLE_ROW, 4, seconds, 0);
                long writesEnded = System.nanoTime();
                long written = Long.parseLong(server.queryString("SELECT count(*) - 1 FROM bench"));
                Consumers.awaitReceived(consumer, before + written, Duration.ofMinutes(10));
                long last = consumer.arrivals().lastNanos();
                Sustained result = new Sustained(tps, written / ((last - start) / 1e9),
                        Math.max(0, (last - writesEnded) / 1e6));
                results.put(kind, result);
                System.out.printf("sustained delivery, %-28s written %8.0f/s, delivered %8.0f/s, caught up %.0f ms"
                        + " after the writes%n", consumer.name(), tps, result.deliveredPerSecond(),
                        result.catchUpMillis());
            }
        }
        return results;
    }

    /**
     * The CPU a started consumer takes while nothing is written, over the scenario's seconds: what a quiet
     * application pays for listening (a poll every millisecond would show here).
     */
    Map<Consumers, ConsumerCpu.Usage> idle(List<Consumers> kinds) throws Exception {
        Map<Consumers, ConsumerCpu.Usage> results = new LinkedHashMap<>();
        for (Consumers kind : kinds) {
            server.recreateBenchTable();
            try (ChangeConsumer consumer = kind.create(server)) {
                Consumers.startAndWarmUp(consumer, server);
                ConsumerCpu cpu = ConsumerCpu.start(server);
                Thread.sleep(Duration.ofSeconds(seconds).toMillis()); // the quiet being measured
                ConsumerCpu.Usage usage = cpu.stop();
                results.put(kind, usage);
                System.out.printf("idle, %-28s JVM %.4f cores (pgflash threads %.4f), server sessions %.4f cores%n",
                        consumer.name(), usage.jvmCores(), usage.pgflashThreadCores(), usage.serverCores());
            }
        }
        return results;
    }

    Map<Consumers, List<Latency>> latency(List<Consumers> kinds, List<Integer> rates) throws Exception {
        Map<Consumers, List<Latency>> results = new LinkedHashMap<>();
        for (Consumers kind : kinds) {
            for (int rate : rates) {
                server.recreateBenchTable();
                try (ChangeConsumer consumer = kind.create(server, true)) {
                    Consumers.startAndWarmUp(consumer, server);
                    long before = consumer.received();
                    consumer.latencies().reset();
                    BenchServer.Writers writers = server.pgbenchWithLatency(WriteOverhead.SINGLE_ROW, 4, seconds,
                            rate);
                    double achieved = writers.tps();
                    long written = Long.parseLong(server.queryString("SELECT count(*) - 1 FROM bench"));
                    Consumers.awaitReceived(consumer, before + written, Duration.ofMinutes(10));
                    Latencies latencies = consumer.latencies();
                    Latency result = new Latency(rate, seconds, achieved, latencies.percentileMillis(50),
                            latencies.percentileMillis(99), latencies.percentileMillis(100), latencies.size(),
                            writers.p99Millis());
                    results.computeIfAbsent(kind, k -> new ArrayList<>()).add(result);
                    System.out.printf("latency, %-28s at %5d/s (achieved %5.0f/s): p50 %6.1f ms, p99 %6.1f ms,"
                            + " max %6.1f ms; the writers' own p99 %6.1f ms%n", consumer.name(), rate, achieved,
                            result.p50(), result.p99(), result.max(), result.writersP99());
                }
            }
        }
        return results;
    }
}
