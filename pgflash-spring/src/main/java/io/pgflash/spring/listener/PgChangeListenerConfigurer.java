package io.pgflash.spring.listener;

/**
 * Registers listeners in code, beside {@code @PgChangeListener} methods: beans of this type are called once, in their
 * order, when the context's singletons exist, with the registry that subscribes, starts and stops every listener.
 *
 * <pre>{@code
 * @Bean
 * PgChangeListenerConfigurer auditListeners(AuditLog audit) {
 *     return registry -> registry.register(ListenerEndpoint.of("audit-orders",
 *             SubscriptionSpec.table("orders").build(), audit::record));
 * }
 * }</pre>
 */
@FunctionalInterface
public interface PgChangeListenerConfigurer {

    void configure(ListenerEndpointRegistry registry);
}
