package io.pgflash.spring.listener;

import io.pgflash.core.Row;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.Locale;
import org.springframework.beans.BeanUtils;
import org.springframework.beans.BeanWrapper;
import org.springframework.beans.PropertyAccessorFactory;
import org.springframework.core.MethodParameter;
import org.springframework.core.convert.ConversionService;
import org.springframework.core.convert.TypeDescriptor;

/**
 * Binds a row to a record (through its canonical constructor) or a JavaBean (through its setters), matching each
 * component or property by name or by its snake_case form ({@code authorId} reads column {@code author_id}), and
 * converting values with a {@link ConversionService}. Columns without a matching property are ignored; properties
 * without a column keep their default.
 */
final class RowBinder {

    private final ConversionService conversionService;

    RowBinder(ConversionService conversionService) {
        this.conversionService = conversionService;
    }

    /** Whether {@code type} can be bound (a record, or a class with a no-argument constructor). */
    static boolean canBind(Class<?> type) {
        if (type.isRecord()) {
            return true;
        }
        if (type.isPrimitive() || type.isInterface() || type.isArray() || type.getName().startsWith("java.")) {
            return false;
        }
        try {
            type.getDeclaredConstructor();
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    <T> T bind(Row row, Class<T> type) {
        if (row == null) {
            return null;
        }
        return type.isRecord() ? bindRecord(row, type) : bindBean(row, type);
    }

    private <T> T bindRecord(Row row, Class<T> type) {
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] parameterTypes = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            parameterTypes[i] = components[i].getType();
        }
        Constructor<T> constructor;
        try {
            constructor = type.getDeclaredConstructor(parameterTypes);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("Record " + type.getName() + " has no canonical constructor", e);
        }
        Object[] arguments = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            String column = column(row, components[i].getName());
            Object value = column == null ? null : row.get(column);
            TypeDescriptor target = new TypeDescriptor(new MethodParameter(constructor, i));
            arguments[i] = value == null ? defaultValue(parameterTypes[i])
                    : conversionService.convert(value, TypeDescriptor.forObject(value), target);
        }
        return BeanUtils.instantiateClass(constructor, arguments);
    }

    private <T> T bindBean(Row row, Class<T> type) {
        T bean = BeanUtils.instantiateClass(type);
        BeanWrapper wrapper = PropertyAccessorFactory.forBeanPropertyAccess(bean);
        wrapper.setConversionService(conversionService);
        for (var descriptor : wrapper.getPropertyDescriptors()) {
            String property = descriptor.getName();
            if (!wrapper.isWritableProperty(property)) {
                continue;
            }
            String column = column(row, property);
            if (column != null) {
                wrapper.setPropertyValue(property, row.get(column));
            }
        }
        return bean;
    }

    /** The row's column for a property: same name, or its snake_case form. */
    private static String column(Row row, String property) {
        if (row.contains(property)) {
            return property;
        }
        String snake = property.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
        return row.contains(snake) ? snake : null;
    }

    /** null, or the zero of a primitive type. */
    private static Object defaultValue(Class<?> type) {
        return type.isPrimitive() ? Array.get(Array.newInstance(type, 1), 0) : null;
    }
}
