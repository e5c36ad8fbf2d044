package io.pgflash.core;

import java.time.Instant;

/**
 * Said to listeners when changes may have been missed: the notify driver lost its connection, and NOTIFY keeps
 * nothing for a session that is not listening. Reload state that must be complete (caches, views) when you get one.
 */
public record StreamGap(String reason, Instant detectedAt) {
}
