package io.pgflash.core.driver;

import io.pgflash.core.PgFlashException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.function.Supplier;

/** The server's NOTIFY queue, which the trigger driver's modes use: its fill, as a measurement. */
public final class NotifyQueue {

    /** The threshold name for the queue's fill. */
    public static final String THRESHOLD = "notify-queue-usage";

    private NotifyQueue() {
    }

    /** The fill of the server's NOTIFY queue, 0 to 1 ({@code pg_notification_queue_usage()}). */
    public static double usage(ConnectionFactory connections) {
        try (Connection connection = connections.open(); Statement statement = connection.createStatement()) {
            statement.setQueryTimeout(5); // health checks must not hang on a stuck server
            try (ResultSet rs = statement.executeQuery("SELECT pg_notification_queue_usage()")) {
                rs.next();
                return rs.getDouble(1);
            }
        } catch (SQLException e) {
            throw new PgFlashException("Could not read the NOTIFY queue usage: " + e.getMessage(), e);
        }
    }

    /** The queue's fill as a measurement, read through {@code connections} when asked. */
    public static Measurement measurement(Supplier<ConnectionFactory> connections) {
        return new Measurement("notify.queue.usage", "notifyQueueUsage", "Fill of the server's NOTIFY queue (0 to 1)",
                null, THRESHOLD, (usage, threshold) -> "NOTIFY queue is " + percent(usage) + " full (threshold "
                        + percent(threshold) + "): a session that LISTENs but does not read, or a long open"
                        + " transaction, holds it back",
                () -> usage(connections.get()));
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.1f%%", fraction * 100);
    }
}
