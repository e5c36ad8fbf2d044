package io.pgflash.benchmarks;

import io.pgflash.core.PgFlash;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.DurableDriver;
import io.pgflash.core.driver.trigger.NotifyDriver;
import io.pgflash.core.driver.wal.WalDriver;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;

/**
 * One pgflash client with one subscription to every change of {@code bench}; its listener only counts, or also
 * records each event's latency when asked to (the latency runs).
 */
final class PgFlashConsumer implements ChangeConsumer {

    private final String name;
    private final BenchServer server;
    private final PgFlash flash;
    private final String cleanup;
    private final Arrivals arrivals = new Arrivals();
    private final Latencies latencies;

    private PgFlashConsumer(String name, BenchServer server, ChangeDriver driver, String cleanup, boolean latency) {
        this.name = name;
        this.server = server;
        this.cleanup = cleanup;
        this.latencies = latency ? new Latencies(2_000_000) : null;
        this.flash = PgFlash.builder().jdbcUrl(server.url, server.user, server.password).driver(driver).build();
        flash.subscribe(SubscriptionSpec.table("bench").build(), latency ? event -> {
            OffsetDateTime sentAt = event.newRow().get("sent_at", OffsetDateTime.class);
            latencies.record(ChronoUnit.MICROS.between(sentAt.toInstant(), Instant.now()));
            arrivals.arrived();
        } : event -> arrivals.arrived());
    }

    static PgFlashConsumer notifyMode(BenchServer server, boolean latency) {
        return new PgFlashConsumer("pgflash trigger, notify", server,
                NotifyDriver.builder().schema("bench_notify").removeSchemaOnShutdown(true).build(), null, latency);
    }

    static PgFlashConsumer durableMode(BenchServer server, boolean latency) {
        return new PgFlashConsumer("pgflash trigger, durable", server,
                DurableDriver.builder().schema("bench_durable").group("bench").build(),
                "DROP SCHEMA IF EXISTS bench_durable CASCADE", latency); // the durable mode keeps events and group
    }

    static PgFlashConsumer wal(BenchServer server, boolean latency, boolean streaming) {
        String name = BenchServer.uniqueName("pgflash_bench");
        return new PgFlashConsumer(streaming ? "pgflash WAL, streaming" : "pgflash WAL", server,
                WalDriver.builder().slotName(name).publicationName(name).streaming(streaming)
                        .dropSlotOnShutdown(true).build(), null, latency);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void start() {
        flash.start();
    }

    @Override
    public void stop() {
        flash.stop();
    }

    @Override
    public Arrivals arrivals() {
        return arrivals;
    }

    @Override
    public Latencies latencies() {
        return latencies;
    }

    @Override
    public void close() throws Exception {
        flash.close();
        if (cleanup != null) {
            server.execute(cleanup);
        }
    }
}
