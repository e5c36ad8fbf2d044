package io.pgflash.benchmarks;

import java.time.Duration;
import java.util.List;

/** The consumers a run compares, made fresh for each measurement, and the waits around them. */
enum Consumers {
    NOTIFY, DURABLE, WAL, DEBEZIUM;

    static final List<Consumers> PGFLASH = List.of(NOTIFY, DURABLE, WAL);

    ChangeConsumer create(BenchServer server) throws Exception {
        return switch (this) {
            case NOTIFY -> PgFlashConsumer.notifyMode(server);
            case DURABLE -> PgFlashConsumer.durableMode(server);
            case WAL -> PgFlashConsumer.wal(server);
            case DEBEZIUM -> new DebeziumConsumer(server);
        };
    }

    /** Starts the consumer and waits until a row written now reaches it: it is streaming. */
    static void startAndWarmUp(ChangeConsumer consumer, BenchServer server) throws Exception {
        consumer.start();
        long before = consumer.received();
        server.execute("INSERT INTO bench (payload, n) VALUES ('warm-up', 0)");
        awaitReceived(consumer, before + 1, Duration.ofSeconds(120));
    }

    /** Waits until the consumer has received {@code count} events in all; fails after {@code timeout}. */
    static void awaitReceived(ChangeConsumer consumer, long count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (consumer.received() < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(consumer.name() + " received " + consumer.received() + " of "
                        + count + " events within " + timeout);
            }
            Thread.sleep(5); // a benchmark polls its own counter; 5 ms is the resolution of the drain timings
        }
    }
}
