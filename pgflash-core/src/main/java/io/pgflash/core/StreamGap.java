package io.pgflash.core;

import java.time.Instant;

/**
 * Said to listeners when changes may have been missed: the notify driver lost its connection (NOTIFY keeps nothing
 * for a session that is not listening), or the durable mode met rows it cannot read or events deleted while the group
 * was expired, or the subscription fell behind its {@link OverflowPolicy}'s buffer; the reason says which. Reload state that must be complete (caches, views) when you get one.
 */
public record StreamGap(String reason, Instant detectedAt) {
}
