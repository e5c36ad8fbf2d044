package io.pgflash.spring.boot.autoconfigure.kafka;

import io.micrometer.core.instrument.MeterRegistry;
import io.pgflash.core.BackOff;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlash;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.kafka.KafkaBridge;
import io.pgflash.kafka.KafkaRoute;
import io.pgflash.spring.boot.autoconfigure.PgFlashAutoConfiguration;
import io.pgflash.spring.listener.ListenerEndpoint;
import io.pgflash.spring.listener.PgChangeListenerConfigurer;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.ProducerFactory;

/**
 * The Kafka bridge ({@code pgflash.kafka.enabled=true}, spring-kafka on the classpath): publishes the tables of
 * {@code pgflash.kafka.tables} with a producer made from the application's {@code spring.kafka.*} settings, through the
 * listener registry (so it starts, stops and stands by with the other listeners).
 */
@AutoConfiguration(after = PgFlashAutoConfiguration.class,
        afterName = "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration")
@ConditionalOnClass({KafkaBridge.class, ProducerFactory.class, KafkaProperties.class})
@ConditionalOnBooleanProperty("pgflash.kafka.enabled")
@ConditionalOnBean(PgFlash.class)
@EnableConfigurationProperties(PgFlashKafkaProperties.class)
public final class PgFlashKafkaAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    KafkaBridge pgflashKafkaBridge(PgFlash flash, PgFlashKafkaProperties properties,
            ObjectProvider<ProducerFactory<?, ?>> producerFactory, ObjectProvider<KafkaProperties> kafkaProperties,
            ObjectProvider<MeterRegistry> meterRegistry) {
        KafkaBridge.requireKeepsEvents(flash.driver());
        if (properties.getTables().isEmpty()) {
            throw new IllegalStateException("pgflash.kafka.enabled is true but pgflash.kafka.tables names no table;"
                    + " add one, for example pgflash.kafka.tables[0].table=orders");
        }
        KafkaBridge.Builder bridge = KafkaBridge.builder()
                .producer(producerSettings(producerFactory.getIfAvailable(), kafkaProperties.getIfAvailable()))
                .topicPrefix(properties.getTopicPrefix()).deadLetterTopic(properties.getDeadLetterTopic())
                .ackTimeout(properties.getAckTimeout())
                .backOff(BackOff.exponential(properties.getBackOffInitial(), properties.getBackOffMax()));
        meterRegistry.ifAvailable(bridge::meterRegistry);
        for (int i = 0; i < properties.getTables().size(); i++) {
            bridge.route(route(properties.getTables().get(i), i));
        }
        return bridge.build();
    }

    /** Registers the bridge's subscriptions with the listener registry, which subscribes them before the start. */
    @Bean
    PgChangeListenerConfigurer pgflashKafkaListeners(KafkaBridge bridge) {
        return registry -> bridge.endpoints().forEach(endpoint -> registry.register(
                ListenerEndpoint.batch(endpoint.id(), endpoint.spec(), endpoint.listener())));
    }

    /**
     * The settings of the application's producer factory (what {@code spring.kafka.*} and Boot's SSL bundles made),
     * without a transactional id: the bridge confirms by acknowledgement, not by transactions.
     */
    private static Map<String, Object> producerSettings(ProducerFactory<?, ?> factory, KafkaProperties kafka) {
        Map<String, Object> settings = new HashMap<>(factory != null ? factory.getConfigurationProperties()
                : kafka != null ? kafka.buildProducerProperties() : Map.of());
        settings.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        return settings;
    }

    private static KafkaRoute route(PgFlashKafkaProperties.Table table, int index) {
        if (table.getTable() == null || table.getTable().isBlank()) {
            throw new IllegalStateException("pgflash.kafka.tables[" + index + "].table is not set; name the table,"
                    + " for example orders or app.orders");
        }
        SubscriptionSpec.Builder spec = SubscriptionSpec.table(table.getTable())
                .filter(table.getFilter().toArray(String[]::new))
                .columns(table.getColumns().toArray(String[]::new))
                .key(table.getKey().toArray(String[]::new))
                .snapshot(table.getSnapshot());
        if (!table.getOperations().isEmpty()) {
            spec.operations(EnumSet.copyOf(table.getOperations()));
        }
        if (table.getId() != null) {
            spec.id(table.getId());
        }
        KafkaRoute route = KafkaRoute.of(spec.build());
        return table.getTopic() == null ? route : route.toTopic(table.getTopic());
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class})
    @ConditionalOnEnabledHealthIndicator("pgflash-kafka")
    static class HealthConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "pgflashKafkaHealthIndicator")
        PgFlashKafkaHealthIndicator pgflashKafkaHealthIndicator(KafkaBridge bridge) {
            return new PgFlashKafkaHealthIndicator(bridge);
        }
    }
}
