package io.pgflash.spring.listener;

import io.pgflash.core.SnapshotNotice;

/**
 * Published as an application event when a snapshot of a {@code @PgChangeListener}'s table begins and when it
 * completes (the listener gets the rows in between as {@code READ} events): take it with {@code @EventListener} to
 * know when a cache loaded from it is whole.
 *
 * @param listenerId the listener's id
 * @param notice which end of the snapshot, and the rows delivered by then
 */
public record PgChangeListenerSnapshot(String listenerId, SnapshotNotice notice) {
}
