package io.pgflash.spring.annotation;

import io.pgflash.core.Operation;
import io.pgflash.core.BackOff;
import io.pgflash.core.ErrorPolicy;
import io.pgflash.core.Recoverer;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.spring.listener.InvalidListenerException;
import io.pgflash.spring.listener.ListenerEndpoint;
import io.pgflash.spring.listener.ListenerEndpointRegistry;
import io.pgflash.spring.listener.ListenerInvocations;
import io.pgflash.spring.listener.MethodChangeListener;
import io.pgflash.spring.listener.PgChangeListenerConfigurer;
import io.pgflash.spring.listener.PgChangeListenerGap;
import io.pgflash.spring.listener.PgChangeListenerSnapshot;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ApplicationEventPublisherAware;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.convert.ConversionService;
import org.springframework.core.convert.support.DefaultConversionService;
import org.springframework.util.StringUtils;

/**
 * Finds {@link PgChangeListener} methods on beans and, once all singletons exist, registers one endpoint per
 * annotation with the {@link ListenerEndpointRegistry}. Annotation values are checked here, so a malformed filter or
 * an unusable signature fails start-up naming the method.
 */
public class PgChangeListenerAnnotationBeanPostProcessor
        implements BeanPostProcessor, BeanFactoryAware, ApplicationEventPublisherAware, SmartInitializingSingleton {

    private final Supplier<ErrorPolicy> defaultErrorPolicy;
    private final Supplier<ListenerInvocations> invocations;
    private final Supplier<ConversionService> defaultConversionService;
    /** Methods found before all singletons existed; later beans (lazy, prototype) register at once. */
    private final List<Found> found = new ArrayList<>();
    private ConfigurableBeanFactory beanFactory;
    private ApplicationEventPublisher events;
    private ListenerEndpointRegistry registry;
    /** Instances of beans that are not singletons (prototype, scoped), each of whose listeners needs an id of its own. */
    private final AtomicLong instances = new AtomicLong();

    /** @param defaultErrorPolicy the policy for listeners that set none (read when the endpoints are built) */
    public PgChangeListenerAnnotationBeanPostProcessor(Supplier<ErrorPolicy> defaultErrorPolicy) {
        this(defaultErrorPolicy, () -> ListenerInvocations.DIRECT);
    }

    /**
     * @param defaultErrorPolicy the policy for listeners that set none (read when the endpoints are built)
     * @param invocations what runs each listener call (an observation), read when the endpoints are built
     */
    public PgChangeListenerAnnotationBeanPostProcessor(Supplier<ErrorPolicy> defaultErrorPolicy,
            Supplier<ListenerInvocations> invocations) {
        this(defaultErrorPolicy, invocations, DefaultConversionService::getSharedInstance);
    }

    /**
     * @param defaultErrorPolicy the policy for listeners that set none (read when the endpoints are built)
     * @param invocations what runs each listener call (an observation), read when the endpoints are built
     * @param conversionService what binds rows to records and beans when the bean factory has no conversion service
     *        of its own (Spring Boot gives its application conversion service)
     */
    public PgChangeListenerAnnotationBeanPostProcessor(Supplier<ErrorPolicy> defaultErrorPolicy,
            Supplier<ListenerInvocations> invocations, Supplier<ConversionService> conversionService) {
        this.defaultErrorPolicy = defaultErrorPolicy;
        this.invocations = invocations;
        this.defaultConversionService = conversionService;
    }

    @Override
    public void setBeanFactory(BeanFactory beanFactory) throws BeansException {
        this.beanFactory = (ConfigurableBeanFactory) beanFactory;
    }

    @Override
    public void setApplicationEventPublisher(ApplicationEventPublisher events) {
        this.events = events;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
        Class<?> type = AopUtils.getTargetClass(bean);
        Map<Method, Set<PgChangeListener>> annotated = MethodIntrospector.selectMethods(type,
                (MethodIntrospector.MetadataLookup<Set<PgChangeListener>>) method -> {
                    Set<PgChangeListener> listeners = AnnotatedElementUtils.getMergedRepeatableAnnotations(method,
                            PgChangeListener.class, PgChangeListeners.class);
                    return listeners.isEmpty() ? null : listeners;
                });
        annotated.forEach((method, annotations) -> {
            Method invocable = AopUtils.selectInvocableMethod(method, bean.getClass());
            int index = 0;
            for (PgChangeListener annotation : annotations) {
                add(new Found(bean, beanName, invocable, annotation, annotations.size() > 1 ? index++ : -1));
            }
        });
        return bean;
    }

    private synchronized void add(Found each) {
        if (registry != null) {
            registry.register(endpoint(each));
        } else {
            found.add(each);
        }
    }

    @Override
    public synchronized void afterSingletonsInstantiated() {
        registry = beanFactory.getBean(ListenerEndpointRegistry.class);
        for (Found each : found) {
            registry.register(endpoint(each));
        }
        found.clear();
        beanFactory.getBeanProvider(PgChangeListenerConfigurer.class).orderedStream()
                .forEach(configurer -> configurer.configure(registry));
    }

    /** The application's conversion service if it set one on the bean factory, else the default one given. */
    private ConversionService conversionService() {
        ConversionService own = beanFactory.getConversionService();
        return own != null ? own : defaultConversionService.get();
    }

    private ListenerEndpoint endpoint(Found found) {
        PgChangeListener annotation = found.annotation;
        Method method = found.method;
        String where = "@PgChangeListener method " + MethodChangeListener.describe(method);
        String table = resolve(annotation.value());
        if (table.isEmpty()) {
            throw new InvalidListenerException(where + ": name a table, e.g. @PgChangeListener(\"posts\")");
        }
        String id = resolve(annotation.id());
        if (id.isEmpty()) {
            id = found.beanName + "." + method.getName() + (found.index >= 0 ? "#" + found.index : "");
            if (beanFactory.containsBean(found.beanName) && !beanFactory.isSingleton(found.beanName)) {
                id += "@" + instances.incrementAndGet();
            }
        }
        String listenerId = id;
        // outside an application context (events null) there is nobody to tell
        MethodChangeListener methodListener = MethodChangeListener.of(found.bean, method, conversionService(), gap -> {
            if (events != null) {
                events.publishEvent(new PgChangeListenerGap(listenerId, gap));
            }
        }, notice -> {
            if (events != null) {
                events.publishEvent(new PgChangeListenerSnapshot(listenerId, notice));
            }
        });
        MethodChangeListener listener = methodListener.invokedThrough(listenerId, invocations.get());
        try {
            SubscriptionSpec.Builder spec = SubscriptionSpec.table(table)
                    .operations(annotation.ops())
                    .columns(resolveAll(annotation.columns()))
                    .key(resolveAll(annotation.key()))
                    .splitKeyChanges(annotation.splitKeyChanges())
                    .snapshot(annotation.snapshot())
                    .oldRows(listener.readsOldRows(annotation.ops().length == 0
                            || Arrays.asList(annotation.ops()).contains(Operation.DELETE)))
                    .concurrency(intValue(annotation.concurrency(), 1, "concurrency", where))
                    .errorPolicy(errorPolicy(annotation, where));
            for (String filter : resolveAll(annotation.filter())) {
                spec.filter(filter);
            }
            spec.id(id);
            return new ListenerEndpoint(id, spec.build(), listener,
                    booleanValue(annotation.autoStartup(), where));
        } catch (IllegalArgumentException e) {
            throw new InvalidListenerException(where + ": " + e.getMessage(), e);
        }
    }

    private ErrorPolicy errorPolicy(PgChangeListener annotation, String where) {
        ErrorPolicy defaults = defaultErrorPolicy.get();
        int attempts = intValue(annotation.maxAttempts(), defaults.maxAttempts(), "maxAttempts", where);
        BackOff backOff = defaults.backOff();
        String recovererName = resolve(annotation.recoverer());
        ErrorPolicy policy = ErrorPolicy.retry(attempts, backOff);
        if (!recovererName.isEmpty()) {
            if (!beanFactory.containsBean(recovererName)) {
                throw new InvalidListenerException(where + ": its recoverer bean '" + recovererName + "' does not exist;"
                        + " name a bean that implements Recoverer");
            }
            policy = policy.thenRecover(beanFactory.getBean(recovererName, Recoverer.class));
        } else if (defaults.recoverer() != null) {
            policy = policy.thenRecover(defaults.recoverer());
        }
        return policy;
    }

    private String resolve(String value) {
        String resolved = beanFactory.resolveEmbeddedValue(value);
        return resolved == null ? "" : resolved.strip();
    }

    private String[] resolveAll(String[] values) {
        return java.util.Arrays.stream(values).map(this::resolve).filter(StringUtils::hasText).toArray(String[]::new);
    }

    private int intValue(String text, int fallback, String attribute, String where) {
        String value = resolve(text);
        if (value.isEmpty()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new InvalidListenerException(where + ": " + attribute + " '" + value + "' is not a whole number");
        }
    }

    private boolean booleanValue(String text, String where) {
        String value = resolve(text);
        if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(value);
        }
        throw new InvalidListenerException(where + ": autoStartup '" + value + "' must be true or false");
    }

    private record Found(Object bean, String beanName, Method method, PgChangeListener annotation, int index) {
    }
}
