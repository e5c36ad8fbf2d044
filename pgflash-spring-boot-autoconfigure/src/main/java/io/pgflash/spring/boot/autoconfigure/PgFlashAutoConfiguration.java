package io.pgflash.spring.boot.autoconfigure;

import io.pgflash.core.BackOff;
import io.pgflash.core.ErrorPolicy;
import io.pgflash.core.PgFlash;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.PgFlashObserver;
import io.pgflash.core.Recoverer;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.ConnectionFactory;
import io.pgflash.core.driver.trigger.DurableDriver;
import io.pgflash.core.driver.trigger.NotifyDriver;
import io.pgflash.core.driver.wal.WalDriver;
import io.pgflash.spring.annotation.PgChangeListenerAnnotationBeanPostProcessor;
import io.pgflash.spring.health.LastEventTracker;
import io.pgflash.spring.listener.ListenerEndpointRegistry;
import io.pgflash.spring.listener.ListenerInvocations;
import io.pgflash.spring.observation.ObservedListenerInvocations;
import io.pgflash.spring.observation.PgChangeListenerObservationConvention;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration of pgflash: the change driver, the client, {@code @PgChangeListener} processing and the
 * listener registry that is their lifecycle. Active when a database is configured ({@code pgflash.connection.url}
 * or a {@code spring.datasource} connection); every bean backs off when the application defines its own.
 */
@AutoConfiguration(afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnClass(PgFlash.class)
@ConditionalOnBooleanProperty(name = "pgflash.enabled", matchIfMissing = true)
@Conditional(OnPgFlashConnectionCondition.class)
@EnableConfigurationProperties(PgFlashProperties.class)
public final class PgFlashAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    PgFlashConnectionDetails pgFlashConnectionDetails(PgFlashProperties properties,
            ObjectProvider<org.springframework.boot.jdbc.autoconfigure.JdbcConnectionDetails> jdbc,
            Environment environment) {
        return PgFlashConnectionDetails.resolve(properties.getConnection(), jdbc::getIfAvailable, environment);
    }

    /** Closed by the client that owns it, not by the context (no inferred destroy method). */
    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean
    ChangeDriver pgFlashDriver(PgFlashProperties properties, Environment environment,
            ObjectProvider<WalDriverCustomizer> wal, ObjectProvider<DurableDriverCustomizer> durable,
            ObjectProvider<NotifyDriverCustomizer> notify) {
        String group = properties.getGroup() != null ? properties.getGroup()
                : environment.getProperty("spring.application.name", "default");
        try {
            return driver(properties, group, wal, durable, notify);
        } catch (IllegalArgumentException e) {
            throw new PgFlashException("Invalid pgflash settings: " + e.getMessage() + " (pgflash.group, or"
                    + " spring.application.name when it is not set; pgflash.trigger.*; pgflash.wal.*)", e);
        }
    }

    private static ChangeDriver driver(PgFlashProperties properties, String group,
            ObjectProvider<WalDriverCustomizer> wal, ObjectProvider<DurableDriverCustomizer> durable,
            ObjectProvider<NotifyDriverCustomizer> notify) {
        return switch (properties.getDriver()) {
            case TRIGGER -> {
                if (properties.getTrigger().getMode() == PgFlashProperties.TriggerMode.DURABLE) {
                    DurableDriver.Builder builder = DurableDriver.builder()
                            .schema(properties.getTrigger().getSchema())
                            .group(group)
                            .groupExpiry(properties.getTrigger().getGroupExpiry())
                            .standbyInterval(properties.getStandbyInterval());
                    durable.orderedStream().forEach(customizer -> customizer.customize(builder));
                    yield builder.build();
                }
                NotifyDriver.Builder builder = NotifyDriver.builder()
                        .schema(properties.getTrigger().getSchema())
                        .connectionCheckInterval(properties.getTrigger().getConnectionCheckInterval())
                        .removeSchemaOnShutdown(properties.isRemoveObjectsOnShutdown());
                notify.orderedStream().forEach(customizer -> customizer.customize(builder));
                yield builder.build();
            }
            case WAL -> {
                WalDriver.Builder builder = walDriver(properties, group);
                wal.orderedStream().forEach(customizer -> customizer.customize(builder));
                yield builder.build();
            }
        };
    }

    private static WalDriver.Builder walDriver(PgFlashProperties properties, String group) {
        PgFlashProperties.Wal wal = properties.getWal();
        WalDriver.Builder builder = WalDriver.builder()
                .group(group)
                .slotName(wal.getSlotName())
                .publicationName(wal.getPublicationName())
                .stateSchema(wal.getStateSchema())
                .heartbeatInterval(wal.getHeartbeatInterval())
                .statusInterval(wal.getStatusInterval())
                .replicaIdentityFull(wal.isReplicaIdentityFull())
                .streaming(wal.isStreaming())
                .streamedMemory(wal.getStreamedMemory().toBytes())
                .dropSlotOnShutdown(properties.isRemoveObjectsOnShutdown())
                .standbyInterval(properties.getStandbyInterval());
        if (wal.getSpillDirectory() != null) {
            builder.spillDirectory(wal.getSpillDirectory());
        }
        return builder;
    }

    @Bean
    @ConditionalOnMissingBean
    LastEventTracker pgFlashLastEventTracker() {
        return new LastEventTracker();
    }

    @Bean
    @ConditionalOnMissingBean
    PgFlash pgFlash(PgFlashProperties properties, PgFlashConnectionDetails connection, ChangeDriver driver,
            ObjectProvider<PgFlashObserver> observers, ObjectProvider<PgFlashCustomizer> customizers) {
        List<PgFlashObserver> all = observers.orderedStream().toList();
        PgFlash.Builder builder = PgFlash.builder()
                .connections(ConnectionFactory.of(connection.url(), connection.username(), connection.password()))
                .driver(driver)
                .shutdownTimeout(properties.getShutdownTimeout())
                .deliveryThreads(properties.getDeliveryThreads())
                .history(properties.getStreams().getHistory())
                .snapshotChunkSize(properties.getSnapshot().getChunkSize())
                .snapshotAfterGap(properties.getSnapshot().isAfterGap())
                .observer(new CompositeObserver(all));
        customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
        return builder.build();
    }

    @Bean
    @ConditionalOnMissingBean
    ListenerEndpointRegistry pgFlashListenerEndpointRegistry(PgFlash flash) {
        return new ListenerEndpointRegistry(flash);
    }

    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    static PgChangeListenerAnnotationBeanPostProcessor pgChangeListenerAnnotationBeanPostProcessor(
            ObjectProvider<PgFlashProperties> properties, ObjectProvider<ListenerInvocations> invocations,
            ObjectProvider<ErrorPolicy> errorPolicy, ObjectProvider<Recoverer> recoverer,
            ObjectProvider<BackOff> backOff) {
        return new PgChangeListenerAnnotationBeanPostProcessor(() -> defaultErrorPolicy(properties.getObject(),
                errorPolicy.getIfUnique(), recoverer.getIfUnique(), backOff.getIfUnique()),
                () -> invocations.getIfAvailable(() -> ListenerInvocations.DIRECT),
                ApplicationConversionService::getSharedInstance);
    }

    /**
     * The error policy of listeners that set none: a unique {@code ErrorPolicy} bean, else {@code pgflash.error.*}
     * with a unique {@code BackOff} bean's back-off; a unique {@code Recoverer} bean recovers for a policy without one.
     */
    static ErrorPolicy defaultErrorPolicy(PgFlashProperties properties, @Nullable ErrorPolicy bean,
            @Nullable Recoverer recoverer, @Nullable BackOff backOff) {
        ErrorPolicy policy = bean;
        if (policy == null) {
            policy = backOff != null ? ErrorPolicy.retry(properties.getError().getMaxAttempts(), backOff)
                    : errorPolicy(properties);
        }
        return recoverer != null && policy.recoverer() == null ? policy.thenRecover(recoverer) : policy;
    }

    /**
     * Each listener call in an observation where Micrometer's observation API is present and an
     * {@code ObservationRegistry} bean exists (Boot's actuator makes one), unless {@code pgflash.observation.enabled}
     * is false.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.observation.ObservationRegistry")
    @ConditionalOnBooleanProperty(name = "pgflash.observation.enabled", matchIfMissing = true)
    static class ListenerObservationConfiguration {

        @Bean
        @ConditionalOnMissingBean
        ListenerInvocations pgFlashListenerInvocations(
                ObjectProvider<io.micrometer.observation.ObservationRegistry> registry,
                ObjectProvider<PgChangeListenerObservationConvention> convention) {
            io.micrometer.observation.ObservationRegistry observations = registry.getIfUnique();
            return observations == null ? ListenerInvocations.DIRECT
                    : new ObservedListenerInvocations(observations, convention.getIfUnique());
        }
    }

    static ErrorPolicy errorPolicy(PgFlashProperties properties) {
        PgFlashProperties.Error error = properties.getError();
        if (error.getBackOffInitial().compareTo(error.getBackOffMax()) > 0) {
            // not an IllegalArgumentException, which would be reported as the fault of the first listener built
            throw new IllegalStateException("pgflash.error.back-off-initial (" + error.getBackOffInitial()
                    + ") is longer than pgflash.error.back-off-max (" + error.getBackOffMax() + "); make the first"
                    + " back-off at most the longest");
        }
        return ErrorPolicy.retry(error.getMaxAttempts(),
                new BackOff(error.getBackOffInitial(), error.getBackOffMultiplier(), error.getBackOffMax()));
    }
}
