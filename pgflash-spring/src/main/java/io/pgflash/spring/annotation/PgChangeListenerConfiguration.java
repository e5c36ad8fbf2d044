package io.pgflash.spring.annotation;

import io.pgflash.core.ErrorPolicy;
import io.pgflash.core.PgFlash;
import io.pgflash.spring.listener.ListenerEndpointRegistry;
import io.pgflash.spring.listener.ListenerInvocations;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;

/** What {@link EnablePgChangeListeners} registers: the annotation processing and the listener registry. */
@Configuration(proxyBeanMethods = false)
public class PgChangeListenerConfiguration {

    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    static PgChangeListenerAnnotationBeanPostProcessor pgChangeListenerAnnotationBeanPostProcessor(
            ObjectProvider<ErrorPolicy> errorPolicy, ObjectProvider<ListenerInvocations> invocations) {
        return new PgChangeListenerAnnotationBeanPostProcessor(() -> errorPolicy.getIfUnique(ErrorPolicy::defaults),
                () -> invocations.getIfUnique(() -> ListenerInvocations.DIRECT));
    }

    @Bean
    ListenerEndpointRegistry pgFlashListenerEndpointRegistry(PgFlash flash) {
        return new ListenerEndpointRegistry(flash);
    }
}
