/*
 * STAND-IN for Apple's <Foundation/Foundation.h> - NOT Apple's header; never shipped in an SDK.
 *
 * sdkbuild compiles its generated Objective-C for arm64-apple-ios on machines without
 * Xcode or an Apple SDK (Linux CI). This file declares only what the generated code
 * (templates/objc/) uses, with the same names, types and selectors as Apple's
 * Foundation, so the object code is what the real header would produce: message sends
 * by selector, class references by symbol (_OBJC_CLASS_$_NSData ...), constant strings
 * through the CFString ABI. When an Apple SDK is present the real header is used instead.
 * Add a declaration here only when the templates start using it.
 */
#ifndef SDKBUILD_FAKE_FOUNDATION_H
#define SDKBUILD_FAKE_FOUNDATION_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- libc, as Foundation brings it in (CoreFoundation.h includes <stdio.h>, <string.h>) --- */
#ifdef __cplusplus
extern "C" {
#endif
int vsnprintf(char *str, size_t size, const char *format, va_list ap);
int strncmp(const char *s1, const char *s2, size_t n);
int memcmp(const void *s1, const void *s2, size_t n);
size_t strlen(const char *s);
void *memset(void *b, int c, size_t len);
#ifdef __cplusplus
}
#endif

/* ---- <objc/objc.h>, <objc/NSObjCRuntime.h> ------------------------------------------ */
/* as <objc/objc.h>: bool on arm64 (OBJC_BOOL_IS_BOOL), signed char on x86_64 */
#if (defined(__arm64__) || defined(__aarch64__)) && defined(__cplusplus)
typedef bool BOOL;
#elif defined(__arm64__) || defined(__aarch64__)
typedef _Bool BOOL;
#else
typedef signed char BOOL;
#endif
#define YES ((BOOL)1)
#define NO ((BOOL)0)
#ifndef nil
#if defined(__cplusplus)
#define nil nullptr
#else
#define nil ((id)0)
#endif
#endif
typedef long NSInteger;
typedef unsigned long NSUInteger;
#define NSNotFound ((NSInteger)0x7fffffffffffffffL)

#ifdef __cplusplus
#define FOUNDATION_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define FOUNDATION_EXPORT extern __attribute__((visibility("default")))
#endif
#define NS_ASSUME_NONNULL_BEGIN _Pragma("clang assume_nonnull begin")
#define NS_ASSUME_NONNULL_END _Pragma("clang assume_nonnull end")
#define NS_SWIFT_NAME(_name) __attribute__((swift_name(#_name)))
#define NS_UNAVAILABLE __attribute__((unavailable))
#define NS_NOESCAPE __attribute__((noescape))
#define NS_DESIGNATED_INITIALIZER __attribute__((objc_designated_initializer))
#define NS_ENUM(_type, _name) enum _name : _type _name; enum _name : _type
#define NS_ERROR_ENUM(_domain, _name) \
    enum _name : NSInteger _name;     \
    enum __attribute__((ns_error_domain(_domain))) _name : NSInteger
#define NS_TYPED_EXTENSIBLE_ENUM __attribute__((swift_wrapper(struct)))
#define NS_OPTIONS(_type, _name) enum _name : _type _name; enum _name : _type
/* as <Foundation/NSObjCRuntime.h> of the iOS 16 SDK */
#define NS_SWIFT_SENDABLE __attribute__((swift_attr("@Sendable")))
#define NS_SWIFT_NONSENDABLE __attribute__((swift_attr("@_nonSendable")))

@class NSString;

/* ---- NSObject ------------------------------------------------------------------------- */
__attribute__((objc_root_class))
@interface NSObject {
    Class isa;
}
+ (instancetype)alloc;
+ (instancetype)new;
+ (Class)class;
- (instancetype)init;
- (NSString *)description;
- (BOOL)isKindOfClass:(Class)aClass;
@end

/* ---- NSString ------------------------------------------------------------------------- */
@interface NSString : NSObject
+ (nullable instancetype)stringWithUTF8String:(const char *)nullTerminatedCString;
@property (nullable, readonly) const char *UTF8String __attribute__((objc_returns_inner_pointer));
@property (readonly) NSUInteger length;
@end

/* ---- NSURL ---------------------------------------------------------------------------- */
@interface NSURL : NSObject
+ (NSURL *)fileURLWithPath:(NSString *)path;
@property (nullable, readonly, copy) NSString *path;
@end

@class NSError;

/* ---- NSData --------------------------------------------------------------------------- */
typedef NS_OPTIONS(NSUInteger, NSDataReadingOptions) {
    NSDataReadingMappedIfSafe = 1UL << 0,
    NSDataReadingUncached = 1UL << 1,
    NSDataReadingMappedAlways = 1UL << 3,
};

@interface NSData : NSObject
+ (instancetype)dataWithBytes:(nullable const void *)bytes length:(NSUInteger)length;
+ (instancetype)dataWithBytesNoCopy:(void *)bytes length:(NSUInteger)length freeWhenDone:(BOOL)b;
+ (nullable instancetype)dataWithContentsOfURL:(NSURL *)url
                                       options:(NSDataReadingOptions)readOptionsMask
                                         error:(NSError **)errorPtr;
@property (readonly) const void *bytes __attribute__((objc_returns_inner_pointer));
@property (readonly) NSUInteger length;
@end

@interface NSMutableData : NSData
+ (nullable instancetype)dataWithLength:(NSUInteger)length;
@property (readonly) void *mutableBytes __attribute__((objc_returns_inner_pointer));
@end

/* ---- NSNumber ------------------------------------------------------------------------- */
@interface NSNumber : NSObject
+ (NSNumber *)numberWithInt:(int)value;
+ (NSNumber *)numberWithInteger:(NSInteger)value;
+ (NSNumber *)numberWithLongLong:(long long)value;
+ (NSNumber *)numberWithFloat:(float)value;
+ (NSNumber *)numberWithBool:(BOOL)value;
@property (readonly) int intValue;
@property (readonly) NSInteger integerValue;
@property (readonly) long long longLongValue;
@property (readonly) float floatValue;
@property (readonly) BOOL boolValue;
@end

/* ---- collections ---------------------------------------------------------------------- */
@interface NSArray<__covariant ObjectType> : NSObject
+ (instancetype)arrayWithObjects:(const ObjectType _Nonnull[_Nonnull])objects count:(NSUInteger)cnt;
@property (readonly) NSUInteger count;
- (ObjectType)objectAtIndex:(NSUInteger)index;
- (ObjectType)objectAtIndexedSubscript:(NSUInteger)idx;
@end

@interface NSMutableArray<ObjectType> : NSArray<ObjectType>
+ (instancetype)arrayWithCapacity:(NSUInteger)numItems;
- (void)addObject:(ObjectType)anObject;
@end

@interface NSDictionary<__covariant KeyType, __covariant ObjectType> : NSObject
+ (instancetype)dictionaryWithObjects:(const ObjectType _Nonnull[_Nullable])objects
                              forKeys:(const KeyType _Nonnull[_Nullable])keys
                                count:(NSUInteger)cnt;
@property (readonly) NSUInteger count;
@end

/* ---- NSError -------------------------------------------------------------------------- */
typedef NSString *NSErrorDomain;
typedef NSString *NSErrorUserInfoKey NS_TYPED_EXTENSIBLE_ENUM;
FOUNDATION_EXPORT NSErrorUserInfoKey const NSLocalizedDescriptionKey;

@interface NSError : NSObject
+ (instancetype)errorWithDomain:(NSErrorDomain)domain
                           code:(NSInteger)code
                       userInfo:(nullable NSDictionary<NSErrorUserInfoKey, id> *)dict;
@property (readonly, copy) NSErrorDomain domain;
@property (readonly) NSInteger code;
@property (readonly, copy) NSString *localizedDescription;
@end

#endif /* SDKBUILD_FAKE_FOUNDATION_H */
