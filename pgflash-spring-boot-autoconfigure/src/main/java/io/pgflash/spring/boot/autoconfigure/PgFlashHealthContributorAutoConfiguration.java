package io.pgflash.spring.boot.autoconfigure;

import io.pgflash.core.PgFlash;
import io.pgflash.core.driver.NotifyQueue;
import java.util.HashMap;
import java.util.Map;
import io.pgflash.spring.health.LastEventTracker;
import io.pgflash.spring.health.PgFlashHealthIndicator;
import io.pgflash.spring.listener.ListenerEndpointRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/** The {@code pgflash} health indicator, when Actuator's health support is present ({@code management.health.pgflash.enabled}). */
@AutoConfiguration(after = PgFlashAutoConfiguration.class)
@ConditionalOnClass({HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class})
@ConditionalOnBean({PgFlash.class, ListenerEndpointRegistry.class})
@ConditionalOnEnabledHealthIndicator("pgflash")
@EnableConfigurationProperties(PgFlashProperties.class)
public final class PgFlashHealthContributorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "pgflashHealthIndicator")
    PgFlashHealthIndicator pgflashHealthIndicator(PgFlash flash, ListenerEndpointRegistry registry,
            ObjectProvider<LastEventTracker> lastEvent, PgFlashProperties properties) {
        PgFlashProperties.Health health = properties.getHealth();
        Map<String, Double> limits = new HashMap<>(health.getThresholds());
        limits.put(NotifyQueue.THRESHOLD, health.getNotifyQueueUsageThreshold());
        limits.put("slot-lag", (double) health.getSlotLagThreshold().toBytes());
        return new PgFlashHealthIndicator(flash, registry, lastEvent.getIfAvailable(),
                new PgFlashHealthIndicator.Thresholds(limits, new Status(health.getThresholdStatus())));
    }
}
