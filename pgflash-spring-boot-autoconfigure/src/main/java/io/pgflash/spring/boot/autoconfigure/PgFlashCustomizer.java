package io.pgflash.spring.boot.autoconfigure;

import io.pgflash.core.PgFlash;

/**
 * Tunes the client's builder after the properties are applied, without replacing the {@code PgFlash} bean (a setting
 * that has no property). Beans of this type are applied in their order. Observers are beans of their own
 * ({@code PgFlashObserver}): setting one here would replace those the auto-configuration combined, metrics included.
 */
@FunctionalInterface
public interface PgFlashCustomizer {

    void customize(PgFlash.Builder builder);
}
