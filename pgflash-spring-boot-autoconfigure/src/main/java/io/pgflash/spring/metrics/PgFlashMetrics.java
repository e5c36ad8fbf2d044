package io.pgflash.spring.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.pgflash.core.ChangeEvent;
import io.pgflash.core.PgFlash;
import io.pgflash.core.PgFlashObserver;
import io.pgflash.core.driver.wal.WalDriver;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.springframework.beans.factory.ObjectProvider;

/**
 * pgflash's Micrometer meters:
 * <ul>
 * <li>{@code pgflash.events.received} (table, operation): changes read by the driver;</li>
 * <li>{@code pgflash.events.delivered} (listener, table, operation, outcome): events done per subscription;</li>
 * <li>{@code pgflash.listener.duration} (listener): time in the listener, retries included;</li>
 * <li>{@code pgflash.delivery.latency} (listener): from the commit (or statement) to the listener's return;</li>
 * <li>{@code pgflash.reconnects}: lost connections;</li>
 * <li>{@code pgflash.notify.queue.usage} and {@code pgflash.slot.lag} (bytes, WAL driver): read when scraped.</li>
 * </ul>
 */
public class PgFlashMetrics implements PgFlashObserver, MeterBinder {

    private final ObjectProvider<PgFlash> flash;
    private volatile MeterRegistry registry;

    /** @param flash the client, looked up lazily: it is built with this observer */
    public PgFlashMetrics(ObjectProvider<PgFlash> flash) {
        this.flash = flash;
    }

    @Override
    public void bindTo(MeterRegistry meterRegistry) {
        this.registry = meterRegistry;
        Gauge.builder("pgflash.notify.queue.usage", () -> safely(() -> flash.getObject().notifyQueueUsage()))
                .description("Fill of the server's NOTIFY queue (0 to 1)").register(meterRegistry);
        Gauge.builder("pgflash.slot.lag", () -> safely(() -> flash.getObject().driver() instanceof WalDriver wal
                        ? wal.slotStatus().lagBytes() : 0))
                .description("WAL the replication slot holds back").baseUnit("bytes").register(meterRegistry);
    }

    private static double safely(Supplier<Number> value) {
        try {
            return value.get().doubleValue();
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    @Override
    public void received(ChangeEvent event) {
        MeterRegistry meters = registry;
        if (meters != null) {
            Counter.builder("pgflash.events.received").description("Changes read by the driver")
                    .tag("table", event.table().toString()).tag("operation", name(event.operation()))
                    .register(meters).increment();
        }
    }

    @Override
    public void delivered(String subscriptionId, List<ChangeEvent> events, Outcome outcome, Duration listenerTime) {
        MeterRegistry meters = registry;
        if (meters == null) {
            return;
        }
        Instant now = Instant.now();
        Timer.builder("pgflash.listener.duration").description("Time spent in the listener, retries included")
                .tag("listener", subscriptionId).register(meters).record(listenerTime);
        Timer latency = Timer.builder("pgflash.delivery.latency")
                .description("From the commit (or writing statement) to the listener's return")
                .tag("listener", subscriptionId).register(meters);
        for (ChangeEvent event : events) {
            Counter.builder("pgflash.events.delivered").description("Events a subscription is done with")
                    .tag("listener", subscriptionId).tag("table", event.table().toString())
                    .tag("operation", name(event.operation())).tag("outcome", name(outcome))
                    .register(meters).increment();
            latency.record(Duration.between(event.timestamp(), now));
        }
    }

    @Override
    public void reconnecting() {
        MeterRegistry meters = registry;
        if (meters != null) {
            Counter.builder("pgflash.reconnects").description("Connections pgflash lost and re-opened")
                    .register(meters).increment();
        }
    }

    private static String name(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
