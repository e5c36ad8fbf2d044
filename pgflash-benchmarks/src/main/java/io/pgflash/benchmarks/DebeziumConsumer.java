package io.pgflash.benchmarks;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Debezium's embedded engine with its PostgreSQL connector on the same database and table, reading with pgoutput
 * through its own slot, delivering Kafka Connect records (typed values, like pgflash's rows) to a no-op consumer.
 * Offsets are kept in a file, so a stopped engine resumes where it was.
 */
final class DebeziumConsumer implements ChangeConsumer {

    private final String slot = BenchServer.uniqueName("debezium_bench");

    private static final String TOPIC = "bench.public.bench";

    private final BenchServer server;
    private final Path offsets;
    private final Arrivals arrivals = new Arrivals();
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private ExecutorService executor;

    DebeziumConsumer(BenchServer server) throws Exception {
        this.server = server;
        this.offsets = Files.createTempFile("debezium-offsets", ".dat");
    }

    @Override
    public String name() {
        return "Debezium embedded";
    }

    /** Starts the engine and returns once it streams from its slot (the engine starts asynchronously). */
    @Override
    public void start() throws Exception {
        Properties properties = properties(server, slot, offsets, "bench", "no_data");
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(properties)
                .using((success, message, error) -> {
                    if (!success) {
                        System.err.println("Debezium engine stopped: " + message + (error == null ? "" : " " + error));
                    }
                })
                .notifying((RecordChangeEvent<SourceRecord> event) -> {
                    if (event.record().value() != null && TOPIC.equals(event.record().topic())) {
                        arrivals.arrived();
                    }
                })
                .build();
        executor = startEngine(engine, server, slot);
    }

    /** Runs {@code engine} on an executor of its own and returns it once the engine streams from {@code slot}. */
    static ExecutorService startEngine(DebeziumEngine<?> engine, BenchServer server, String slot) throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        executor.execute(engine);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!"t".equals(server.queryString("SELECT coalesce(bool_or(active), false) FROM pg_replication_slots"
                + " WHERE slot_name = '" + slot + "'"))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Debezium did not start streaming from slot " + slot + " in 2 min");
            }
            Thread.sleep(50);
        }
        return executor;
    }

    /**
     * The embedded engine's settings: the PostgreSQL connector reading {@code public.<table>} with pgoutput through
     * {@code slot} (and a publication of that name it makes), offsets in the file {@code offsets}, records on topic
     * {@code bench.public.<table>}, the snapshot mode as given.
     */
    static Properties properties(BenchServer server, String slot, Path offsets, String table, String snapshotMode) {
        URI uri = URI.create(server.url.substring("jdbc:".length()));
        Properties properties = new Properties();
        properties.setProperty("name", "bench");
        properties.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        properties.setProperty("offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore");
        properties.setProperty("offset.storage.file.filename", offsets.toString());
        properties.setProperty("offset.flush.interval.ms", "1000");
        properties.setProperty("database.hostname", uri.getHost());
        properties.setProperty("database.port", String.valueOf(uri.getPort()));
        properties.setProperty("database.user", server.user);
        properties.setProperty("database.password", server.password);
        properties.setProperty("database.dbname", uri.getPath().substring(1));
        properties.setProperty("topic.prefix", "bench");
        properties.setProperty("plugin.name", "pgoutput");
        properties.setProperty("slot.name", slot);
        properties.setProperty("publication.name", slot);
        properties.setProperty("publication.autocreate.mode", "filtered");
        properties.setProperty("table.include.list", "public." + table);
        properties.setProperty("snapshot.mode", snapshotMode);
        return properties;
    }

    @Override
    public void stop() throws Exception {
        if (engine != null) {
            stopEngine(engine, executor);
            engine = null;
        }
    }

    /** Closes {@code engine} and waits for its executor to end. */
    static void stopEngine(DebeziumEngine<?> engine, ExecutorService executor) throws Exception {
        engine.close();
        executor.shutdown();
        executor.awaitTermination(60, TimeUnit.SECONDS);
    }

    @Override
    public Arrivals arrivals() {
        return arrivals;
    }

    @Override
    public Latencies latencies() {
        return null;
    }

    /** Stops the engine, waits for its walsender to let go of the slot, then drops the slot and publication. */
    @Override
    public void close() throws Exception {
        stop();
        server.dropSlotWhenInactive(slot);
        server.execute("DROP PUBLICATION IF EXISTS " + slot);
        Files.deleteIfExists(offsets);
    }
}
