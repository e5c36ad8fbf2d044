package io.pgflash.spring.boot.autoconfigure;

import io.pgflash.core.PgFlash;
import io.pgflash.spring.stream.PgFlashFlux;
import io.pgflash.spring.stream.PgFlashSse;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Per-client streams: {@link PgFlashSse} in a Spring MVC application, {@link PgFlashFlux} where Reactor is on the
 * class path.
 */
@AutoConfiguration(after = PgFlashAutoConfiguration.class)
@ConditionalOnClass(PgFlash.class)
@ConditionalOnBean({PgFlash.class, PgFlashProperties.class})
public final class PgFlashStreamsAutoConfiguration {

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.web.servlet.mvc.method.annotation.SseEmitter")
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    static final class Sse {

        @Bean
        @ConditionalOnMissingBean
        PgFlashSse pgFlashSse(PgFlash flash, PgFlashProperties properties) {
            return new PgFlashSse(flash, properties.getStreams().getTimeout());
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "reactor.core.publisher.Flux")
    static final class Reactor {

        @Bean
        @ConditionalOnMissingBean
        PgFlashFlux pgFlashFlux(PgFlash flash) {
            return new PgFlashFlux(flash);
        }
    }
}
