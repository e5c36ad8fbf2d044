package io.pgflash.spring.listener;

import io.pgflash.core.StreamGap;

/**
 * Published as an application event when a {@code @PgChangeListener} may have missed changes (notify mode after a
 * reconnect; durable mode for rows it cannot read or events deleted while its group was expired). Take it with
 * {@code @EventListener} to reload state that must be complete, such as a cache.
 *
 * @param listenerId the listener's id
 * @param gap what happened
 */
public record PgChangeListenerGap(String listenerId, StreamGap gap) {
}
