package io.pgflash.spring.health;

import io.pgflash.core.PgFlash;
import io.pgflash.core.driver.DriverState;
import io.pgflash.core.driver.trigger.DurableTriggerDriver;
import io.pgflash.core.driver.trigger.TriggerDriver;
import io.pgflash.core.driver.wal.SlotStatus;
import io.pgflash.core.driver.wal.WalDriver;
import io.pgflash.spring.listener.ListenerEndpointRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/**
 * pgflash's health: UP while the driver streams; the NOTIFY queue usage, the WAL slot's lag and activity, each
 * listener's state and the age of the last event in the details. A queue usage or slot lag at or past its threshold
 * turns the status to the configured one (DOWN by default), with the reason.
 */
public class PgFlashHealthIndicator extends AbstractHealthIndicator {

    private final PgFlash flash;
    private final ListenerEndpointRegistry registry;
    private final LastEventTracker lastEvent;
    private final Thresholds thresholds;

    /**
     * @param notifyQueueUsage the fill (0 to 1) from which the queue counts as too full
     * @param slotLagBytes the slot lag from which it counts as too far behind
     * @param status the status past a threshold
     */
    public record Thresholds(double notifyQueueUsage, long slotLagBytes, Status status) {
    }

    public PgFlashHealthIndicator(PgFlash flash, ListenerEndpointRegistry registry, LastEventTracker lastEvent,
            Thresholds thresholds) {
        super("pgflash health check failed");
        this.flash = flash;
        this.registry = registry;
        this.lastEvent = lastEvent;
        this.thresholds = thresholds;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        DriverState state = flash.state();
        builder.status(switch (state) {
            case STREAMING, STANDBY -> Status.UP; // a standby is healthy: it takes over when needed
            case STARTING -> Status.UNKNOWN;
            case RECONNECTING -> Status.DOWN;
            case STOPPED -> Status.OUT_OF_SERVICE;
        });
        builder.withDetail("driver", flash.driver().name());
        builder.withDetail("state", state.name().toLowerCase(java.util.Locale.ROOT));
        // one instance of a consumer group reads; the others stand by; while cut off, it cannot tell
        flash.driver().groupRole().filter(role -> state != DriverState.STOPPED)
                .ifPresent(role -> builder.withDetail("role", role.name().toLowerCase(java.util.Locale.ROOT)));
        if (state == DriverState.RECONNECTING) {
            builder.withDetail("reason", "the " + flash.driver().name() + " driver lost its connection and is"
                    + " reconnecting");
        }
        Map<String, String> listeners = new LinkedHashMap<>();
        for (String id : registry.listenerIds()) {
            listeners.put(id, registry.isRunning(id) ? "running" : "stopped");
        }
        builder.withDetail("listeners", listeners);
        Instant last = lastEvent == null ? null : lastEvent.lastEventAt();
        if (last != null) {
            builder.withDetail("lastEventAge", Duration.between(last, Instant.now()).toMillis() + "ms");
        }
        if (flash.driver() instanceof TriggerDriver || flash.driver() instanceof DurableTriggerDriver) {
            checkNotifyQueue(builder);
        }
        if (flash.driver() instanceof DurableTriggerDriver durable && state != DriverState.STOPPED) {
            builder.withDetail("group", durable.group());
            builder.withDetail("backlog", durable.backlog());
            builder.withDetail("expiredGroups", durable.expiredGroups());
        }
        if (flash.driver() instanceof WalDriver wal && state != DriverState.STOPPED) {
            SlotStatus slot = wal.slotStatus();
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("name", slot.slot());
            details.put("active", slot.active());
            details.put("lagBytes", slot.lagBytes());
            builder.withDetail("slot", details);
            if (slot.lagBytes() >= thresholds.slotLagBytes()) {
                builder.status(thresholds.status()).withDetail("reason", "replication slot " + slot.slot() + " is "
                        + slot.lagBytes() + " bytes behind (threshold " + thresholds.slotLagBytes() + "): the server"
                        + " keeps that much WAL on disk until pgflash catches up");
            }
        }
    }

    private void checkNotifyQueue(Health.Builder builder) {
        double usage = flash.notifyQueueUsage();
        builder.withDetail("notifyQueueUsage", usage);
        if (usage >= thresholds.notifyQueueUsage()) {
            builder.status(thresholds.status()).withDetail("reason", "NOTIFY queue is " + percent(usage)
                    + " full (threshold " + percent(thresholds.notifyQueueUsage()) + "): a session that LISTENs"
                    + " but does not read, or a long open transaction, holds it back");
        }
    }

    private static String percent(double fraction) {
        return String.format(java.util.Locale.ROOT, "%.1f%%", fraction * 100);
    }
}
