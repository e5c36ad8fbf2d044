package io.pgflash.spring.listener;

import io.pgflash.core.SubscriptionSpec;

/**
 * One {@code @PgChangeListener}: what to subscribe to, and who listens. Placeholders are resolved already.
 *
 * @param id unique id in the registry
 * @param spec the subscription
 * @param listener the method to call
 * @param autoStartup whether the registry subscribes it when it starts
 */
public record ListenerEndpoint(String id, SubscriptionSpec spec, MethodChangeListener listener, boolean autoStartup) {
}
