package io.pgflash.spring.boot.autoconfigure;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.pgflash.core.PgFlash;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.spring.metrics.PgFlashMetrics;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** pgflash's Micrometer meters, when Micrometer is present; bound to the application's registries. */
@AutoConfiguration(after = PgFlashAutoConfiguration.class)
@ConditionalOnClass({MeterBinder.class, PgFlash.class})
@ConditionalOnBean({PgFlash.class, ChangeDriver.class})
public final class PgFlashMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    PgFlashMetrics pgFlashMetrics(ChangeDriver driver) {
        return new PgFlashMetrics(driver);
    }
}
