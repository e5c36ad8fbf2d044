package io.pgflash.kafka;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Whether the bridge publishes: down while its last batch failed or records wait longer than the acknowledgement
 * timeout for the broker, with the reason; the stream's position is not confirmed past them meanwhile.
 *
 * @param up whether records are being acknowledged
 * @param reason why not, or null when up
 * @param pendingRecords records sent and not acknowledged yet
 * @param longestWait how long the oldest batch still waiting has waited (zero when none waits)
 */
public record BridgeStatus(boolean up, @Nullable String reason, long pendingRecords, Duration longestWait) {
}
