package io.pgflash.benchmarks;

import java.time.Duration;
import java.util.List;

/** The consumers a run compares, made fresh for each measurement, and the waits around them. */
enum Consumers {
    NOTIFY("pgflash trigger, notify", "pgflash trigger driver, notify mode"),
    DURABLE("pgflash trigger, durable", "pgflash trigger driver, durable mode"),
    WAL("pgflash WAL", "pgflash WAL driver"),
    /** The WAL driver with protocol 2 streaming of large transactions; only in the large-transaction scenario. */
    WAL_STREAMING("pgflash WAL, streaming", "pgflash WAL driver, streaming"),
    DEBEZIUM("Debezium embedded", "Debezium");

    static final List<Consumers> PGFLASH = List.of(NOTIFY, DURABLE, WAL);

    private final String label;
    private final String variant;

    Consumers(String label, String variant) {
        this.label = label;
        this.variant = variant;
    }

    /** A consumer whose listener only counts. */
    ChangeConsumer create(BenchServer server) throws Exception {
        return create(server, false);
    }

    /** A consumer whose listener counts and, if {@code latency}, records each event's latency (pgflash only). */
    ChangeConsumer create(BenchServer server, boolean latency) throws Exception {
        return switch (this) {
            case NOTIFY -> PgFlashConsumer.notifyMode(server, latency);
            case DURABLE -> PgFlashConsumer.durableMode(server, latency);
            case WAL -> PgFlashConsumer.wal(server, latency, false);
            case WAL_STREAMING -> PgFlashConsumer.wal(server, latency, true);
            case DEBEZIUM -> new DebeziumConsumer(server);
        };
    }

    /** The name in delivery tables. */
    String label() {
        return label;
    }

    /** The name among the write-overhead variants. */
    String variant() {
        return variant;
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
            Thread.sleep(5); // a benchmark polls its own counter; arrival times come from the listener itself
        }
    }
}
