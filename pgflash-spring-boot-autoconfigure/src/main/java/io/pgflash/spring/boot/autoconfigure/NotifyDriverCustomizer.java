package io.pgflash.spring.boot.autoconfigure;

import io.pgflash.core.driver.trigger.NotifyDriver;

/**
 * Tunes the notify mode's builder after the properties are applied, without replacing the driver bean. Beans of this
 * type are applied in their order when the trigger driver runs in notify mode (the default).
 */
@FunctionalInterface
public interface NotifyDriverCustomizer {

    void customize(NotifyDriver.Builder builder);
}
