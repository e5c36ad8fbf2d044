package io.pgflash.spring.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.pgflash.core.ChangeEvent;
import io.pgflash.core.PgFlashObserver;
import io.pgflash.core.SnapshotProgress;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.GroupRole;
import io.pgflash.core.driver.Measurement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * pgflash's Micrometer meters:
 * <ul>
 * <li>{@code pgflash.events.received} (table, operation): changes read by the driver;</li>
 * <li>{@code pgflash.events.delivered} (listener, table, operation, outcome): events done per subscription;</li>
 * <li>{@code pgflash.listener.duration} (listener): time in the listener, retries included;</li>
 * <li>{@code pgflash.delivery.latency} (listener): from the commit (or statement) to the listener's return;</li>
 * <li>{@code pgflash.reconnects}: outages survived, counted when the database answers again;
 * {@code pgflash.reconnect.attempts}: attempts that failed during outages;</li>
 * <li>{@code pgflash.snapshot.rows.read}, {@code pgflash.snapshot.rows.estimated} and {@code pgflash.snapshot.running}
 * (listener, table): a snapshot's progress, from its first on;</li>
 * <li>{@code pgflash.group.role} (role: active, standby, unknown): 1 for the role this instance holds in its consumer
 * group, else 0 (drivers with consumer groups);</li>
 * <li>{@code pgflash.<name>} for each measurement the driver reports ({@code pgflash.notify.queue.usage} for the
 * trigger driver's modes, {@code pgflash.durable.backlog} and {@code pgflash.durable.expired.groups} for the durable
 * mode, {@code pgflash.slot.lag} in bytes for the WAL driver): read from the server when scraped.</li>
 * </ul>
 */
public class PgFlashMetrics implements PgFlashObserver, MeterBinder {

    private final ChangeDriver driver;
    private final Map<List<String>, Counter> counters = new ConcurrentHashMap<>();
    private final Map<List<String>, Timer> timers = new ConcurrentHashMap<>();
    private final Map<List<String>, SnapshotGauges> snapshots = new ConcurrentHashMap<>();
    private volatile MeterRegistry registry;

    /** @param driver the client's driver, whose measurements and role become gauges */
    public PgFlashMetrics(ChangeDriver driver) {
        this.driver = driver;
    }

    @Override
    public void bindTo(MeterRegistry meterRegistry) {
        this.registry = meterRegistry;
        for (Measurement measurement : driver.measurements()) {
            Gauge.builder("pgflash." + measurement.name(), () -> safely(measurement::read))
                    .description(measurement.description()).baseUnit(measurement.baseUnit()).register(meterRegistry);
        }
        if (driver.groupRole().isPresent()) {
            for (GroupRole role : GroupRole.values()) {
                Gauge.builder("pgflash.group.role", () -> driver.groupRole().orElse(null) == role ? 1 : 0)
                        .description("1 for the role this instance holds in its consumer group, else 0")
                        .tag("role", name(role)).register(meterRegistry);
            }
        }
    }

    private Counter counter(MeterRegistry meters, String name, String description, String... tags) {
        List<String> key = new java.util.ArrayList<>(List.of(tags));
        key.add(0, name);
        return counters.computeIfAbsent(key, k -> Counter.builder(name).description(description).tags(tags)
                .register(meters));
    }

    private Timer timer(MeterRegistry meters, String name, String description, String... tags) {
        List<String> key = new java.util.ArrayList<>(List.of(tags));
        key.add(0, name);
        return timers.computeIfAbsent(key, k -> Timer.builder(name).description(description).tags(tags)
                .register(meters));
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
            counter(meters, "pgflash.events.received", "Changes read by the driver",
                    "table", event.table().toString(), "operation", name(event.operation())).increment();
        }
    }

    @Override
    public void delivered(String subscriptionId, List<ChangeEvent> events, Outcome outcome, Duration listenerTime) {
        MeterRegistry meters = registry;
        if (meters == null) {
            return;
        }
        Instant now = Instant.now();
        timer(meters, "pgflash.listener.duration", "Time spent in the listener, retries included",
                "listener", subscriptionId).record(listenerTime);
        Timer latency = timer(meters, "pgflash.delivery.latency",
                "From the commit (or writing statement) to the listener's return", "listener", subscriptionId);
        for (ChangeEvent event : events) {
            counter(meters, "pgflash.events.delivered", "Events a subscription is done with", "listener",
                    subscriptionId, "table", event.table().toString(), "operation", name(event.operation()),
                    "outcome", name(outcome)).increment();
            latency.record(Duration.between(event.timestamp(), now));
        }
    }

    @Override
    public void snapshotProgress(SnapshotProgress progress) {
        MeterRegistry meters = registry;
        if (meters == null) {
            return;
        }
        List<String> key = List.of(progress.subscriptionId(), progress.table().toString());
        SnapshotGauges gauges = snapshots.computeIfAbsent(key, k -> new SnapshotGauges(meters, k.get(0), k.get(1)));
        gauges.read.set(progress.rowsRead());
        gauges.estimated.set(progress.estimatedRows());
        gauges.running.set(progress.running() ? 1 : 0);
    }

    /** The gauges of one listener's snapshots of one table: the last one's values stay until the next. */
    private static final class SnapshotGauges {
        final AtomicLong read = new AtomicLong();
        final AtomicLong estimated = new AtomicLong(-1);
        final AtomicLong running = new AtomicLong();

        SnapshotGauges(MeterRegistry meters, String listener, String table) {
            Gauge.builder("pgflash.snapshot.rows.read", read, AtomicLong::get)
                    .description("Rows the listener's snapshot of the table read so far").baseUnit("rows")
                    .tags("listener", listener, "table", table).register(meters);
            Gauge.builder("pgflash.snapshot.rows.estimated", estimated, AtomicLong::get)
                    .description("The server's estimate of the table's rows when the snapshot began (-1: none)")
                    .baseUnit("rows").tags("listener", listener, "table", table).register(meters);
            Gauge.builder("pgflash.snapshot.running", running, AtomicLong::get)
                    .description("1 while the listener's snapshot of the table is under way, else 0")
                    .tags("listener", listener, "table", table).register(meters);
        }
    }

    @Override
    public void reconnecting() {
        MeterRegistry meters = registry;
        if (meters != null) {
            counter(meters, "pgflash.reconnect.attempts", "Attempts to reach the database that failed").increment();
        }
    }

    @Override
    public void reconnected(int failedAttempts) {
        MeterRegistry meters = registry;
        if (meters != null) {
            counter(meters, "pgflash.reconnects", "Times the database answered again after an outage").increment();
        }
    }

    private static String name(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
