package io.pgflash.spring.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.context.annotation.Import;

/**
 * Turns on {@code @PgChangeListener} methods in an application on Spring Framework without Spring Boot: the
 * application declares a {@code PgFlash} bean (its connection and driver), and the listener registry subscribes the
 * annotated methods and {@code PgChangeListenerConfigurer} beans, starts the client with the context and stops it on
 * shutdown. A unique {@code ErrorPolicy} bean is the default error policy. Spring Boot applications need none of this:
 * the starter's auto-configuration does it.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Import(PgChangeListenerConfiguration.class)
public @interface EnablePgChangeListeners {
}
