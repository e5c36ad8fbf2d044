package io.pgflash.benchmarks;

import io.pgflash.core.PgFlash;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.DurableTriggerDriver;
import io.pgflash.core.driver.trigger.TriggerDriver;
import io.pgflash.core.driver.wal.WalDriver;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicLong;

/** One pgflash client with one subscription to every change of {@code bench} and a no-op listener. */
final class PgFlashConsumer implements ChangeConsumer {

    private final String name;
    private final BenchServer server;
    private final PgFlash flash;
    private final String cleanup;
    private final AtomicLong received = new AtomicLong();
    private final Latencies latencies = new Latencies(2_000_000);

    private PgFlashConsumer(String name, BenchServer server, ChangeDriver driver, String cleanup) {
        this.name = name;
        this.server = server;
        this.cleanup = cleanup;
        this.flash = PgFlash.builder().jdbcUrl(server.url, server.user, server.password).driver(driver).build();
        flash.subscribe(SubscriptionSpec.table("bench").build(), event -> {
            OffsetDateTime sentAt = event.newRow().get("sent_at", OffsetDateTime.class);
            latencies.record(ChronoUnit.MICROS.between(sentAt.toInstant(), Instant.now()));
            received.incrementAndGet();
        });
    }

    static PgFlashConsumer notifyMode(BenchServer server) {
        return new PgFlashConsumer("pgflash trigger, notify", server,
                TriggerDriver.builder().schema("bench_notify").removeSchemaOnShutdown(true).build(), null);
    }

    static PgFlashConsumer durableMode(BenchServer server) {
        return new PgFlashConsumer("pgflash trigger, durable", server,
                DurableTriggerDriver.builder().schema("bench_durable").group("bench").build(),
                "DROP SCHEMA IF EXISTS bench_durable CASCADE"); // the durable mode keeps its events and group
    }

    static PgFlashConsumer wal(BenchServer server) {
        return new PgFlashConsumer("pgflash WAL", server,
                WalDriver.builder().slotName("pgflash_bench").publicationName("pgflash_bench")
                        .dropSlotOnShutdown(true).build(), null);
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
    public long received() {
        return received.get();
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
