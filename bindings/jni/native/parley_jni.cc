// libparley_jni.so: the JNI glue of the Java binding (org.parley). It calls only the C ABI of
// parley.h and links only libparley.so.
//
// Strings cross as UTF-8 byte arrays in both directions (the Java side encodes and decodes),
// never through NewStringUTF/GetStringUTFChars, whose "modified UTF-8" differs from UTF-8
// for NUL and for characters outside the BMP. Every string and buffer the C ABI returns is
// copied into a Java array and freed with parley_free() at once; passphrases and key-store
// secrets copied here are zeroed before their memory is released.
//
// Handles: a Java Device holds a pointer to a Context (as a long), which owns the
// parley_device, a global reference to the Java Device (the receiver of events and of the
// key-store bridge) and the C ABI's copy of the key-store hooks. nativeFree() frees the device
// first (which stops its background sync: no callback runs afterwards), then the Context.
//
// Threads: callbacks come on the thread of the call that caused them (a Java thread, with
// a JNIEnv already) or on the library's background sync thread, which is attached to the
// JVM for the callback and detached again. Every callback runs in its own local frame and
// leaves no pending exception behind (the Java methods it calls catch their own).
#include <jni.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "org_parley_Device.h"
#include "org_parley_Parley.h"
#include "parley/parley.h"

namespace {

JavaVM* g_vm = nullptr;
// Global references and ids, resolved once in JNI_OnLoad.
jclass g_exception_class = nullptr;  // org.parley.ParleyException
jmethodID g_exception_from_native = nullptr;
jclass g_byte_array_class = nullptr;    // byte[]
jmethodID g_on_event = nullptr;         // Device.onNativeEvent
jmethodID g_key_store_put = nullptr;    // Device.keyStorePut
jmethodID g_key_store_get = nullptr;    // Device.keyStoreGet
jmethodID g_key_store_erase = nullptr;  // Device.keyStoreErase

// Overwrites memory the compiler may not elide (secrets).
void Zero(void* p, std::size_t n) {
  volatile unsigned char* b = static_cast<volatile unsigned char*>(p);
  while (n-- > 0) *b++ = 0;
}

// The bytes of a Java byte[] (null reads as empty), copied so they may be zeroed afterwards.
class InBytes {
 public:
  InBytes(JNIEnv* env, jbyteArray array, bool secret = false) : secret_(secret) {
    if (array == nullptr) return;
    const jsize n = env->GetArrayLength(array);
    bytes_.resize(static_cast<std::size_t>(n));
    if (n > 0) env->GetByteArrayRegion(array, 0, n, reinterpret_cast<jbyte*>(bytes_.data()));
  }
  ~InBytes() {
    if (secret_ && !bytes_.empty()) Zero(bytes_.data(), bytes_.size());
  }
  InBytes(const InBytes&) = delete;
  InBytes& operator=(const InBytes&) = delete;
  const char* chars() const { return bytes_.empty() ? nullptr : bytes_.data(); }
  const std::uint8_t* data() const { return reinterpret_cast<const std::uint8_t*>(chars()); }
  std::size_t size() const { return bytes_.size(); }

 private:
  std::vector<char> bytes_;
  bool secret_;
};

// A buffer the C ABI returned: freed with parley_free() exactly once, whatever happens.
template <typename T>
struct Owned {
  T* p = nullptr;
  std::size_t len = 0;
  Owned() = default;
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  ~Owned() { parley_free(p); }
};

// A new byte[] holding `n` bytes at `p`; nullptr (with OutOfMemoryError pending) on failure.
jbyteArray NewBytes(JNIEnv* env, const void* p, std::size_t n) {
  if (n > static_cast<std::size_t>(INT32_MAX)) {
    env->ThrowNew(env->FindClass("java/lang/OutOfMemoryError"),
                  "a Parley result larger than 2 GiB");
    return nullptr;
  }
  const jsize size = static_cast<jsize>(n);
  jbyteArray array = env->NewByteArray(size);
  if (array != nullptr && size > 0)
    env->SetByteArrayRegion(array, 0, size, static_cast<const jbyte*>(p));
  return array;
}

jbyteArray NewBytes(JNIEnv* env, const char* s) {
  return NewBytes(env, s, s == nullptr ? 0 : std::strlen(s));
}

// Throws ParleyException(domain, code, message) for a failed call; true when it threw.
bool Fail(JNIEnv* env, int rc, const parley_error& error) {
  if (rc == PARLEY_OK) return false;
  if (env->ExceptionCheck()) return true;  // e.g. an OutOfMemoryError already pending
  // Fall back to the return code when the library left the error struct empty.
  const jint code = error.code != PARLEY_OK ? error.code : rc;
  jbyteArray message = NewBytes(env, error.message, strnlen(error.message, sizeof error.message));
  if (message == nullptr) return true;
  auto exception = static_cast<jthrowable>(env->CallStaticObjectMethod(
      g_exception_class, g_exception_from_native, error.domain, code, message));
  env->DeleteLocalRef(message);
  if (exception != nullptr && !env->ExceptionCheck()) {
    env->Throw(exception);
    env->DeleteLocalRef(exception);
  }
  return true;
}

void ThrowApi(JNIEnv* env, int code, const char* message) {
  parley_error error{};
  error.domain = PARLEY_DOMAIN_API;
  error.code = code;
  std::strncpy(error.message, message, sizeof error.message - 1);
  Fail(env, code, error);
}

struct Context {
  parley_device* device = nullptr;
  jobject owner = nullptr;  // global reference to the Java Device
  parley_key_store key_store{};
};

Context* FromHandle(jlong handle) {
  return reinterpret_cast<Context*>(static_cast<std::intptr_t>(handle));
}

// Android's jni.h declares AttachCurrentThread*(JNIEnv**, ...), the JDK's (void**, ...).
#if defined(__ANDROID__)
using AttachEnv = JNIEnv**;
#else
using AttachEnv = void**;
#endif

// Ensures this thread has a JNIEnv for a callback: attaches a thread of the library for the
// callback's duration.
class CallbackEnv {
 public:
  CallbackEnv() {
    if (g_vm->GetEnv(reinterpret_cast<void**>(&env_), JNI_VERSION_1_6) == JNI_EDETACHED) {
      JavaVMAttachArgs args{JNI_VERSION_1_6, const_cast<char*>("parley-sync"), nullptr};
      if (g_vm->AttachCurrentThreadAsDaemon(reinterpret_cast<AttachEnv>(&env_), &args) == JNI_OK) {
        attached_ = true;
      } else {
        env_ = nullptr;
      }
    }
    // A callback makes a handful of local references: one frame per callback frees them.
    if (env_ != nullptr && env_->PushLocalFrame(16) != JNI_OK) {
      env_->ExceptionClear();
      Detach();
      env_ = nullptr;
    }
  }
  ~CallbackEnv() {
    if (env_ == nullptr) return;
    // The Java side catches its own exceptions; anything left (out of memory) must not
    // escape into the C ABI or reach the caller's later JNI calls.
    if (env_->ExceptionCheck()) {
      env_->ExceptionDescribe();
      env_->ExceptionClear();
    }
    env_->PopLocalFrame(nullptr);
    Detach();
  }
  CallbackEnv(const CallbackEnv&) = delete;
  CallbackEnv& operator=(const CallbackEnv&) = delete;
  JNIEnv* get() const { return env_; }

 private:
  void Detach() {
    if (attached_) g_vm->DetachCurrentThread();
    attached_ = false;
  }
  JNIEnv* env_ = nullptr;
  bool attached_ = false;
};

// ---- Callbacks from the C ABI ----

void OnEvent(void* context, const parley_event* event) {
  auto* ctx = static_cast<Context*>(context);
  CallbackEnv callback;
  JNIEnv* env = callback.get();
  if (env == nullptr || event == nullptr) return;
  jbyteArray relay = NewBytes(env, event->relay);
  jbyteArray message = relay ? NewBytes(env, event->message) : nullptr;
  jbyteArray json = message ? NewBytes(env, event->json) : nullptr;
  if (json == nullptr) return;  // out of memory: CallbackEnv clears it
  env->CallVoidMethod(ctx->owner, g_on_event, static_cast<jint>(event->kind), relay,
                      static_cast<jlong>(event->count), static_cast<jint>(event->domain),
                      static_cast<jint>(event->code), message, static_cast<jlong>(event->retry_ms),
                      static_cast<jint>(event->sync_state), json);
}

// A SecretStore method threw: an I/O error of the key store for the library (the exception
// is dropped; the call that needed the key fails with PARLEY_IO_ERROR).
bool StoreFailed(JNIEnv* env) {
  if (!env->ExceptionCheck()) return false;
  env->ExceptionClear();
  return true;
}

int KeyStorePut(void* context, const char* name, size_t name_len, const uint8_t* secret,
                size_t secret_len) {
  auto* ctx = static_cast<Context*>(context);
  CallbackEnv callback;
  JNIEnv* env = callback.get();
  if (env == nullptr) return PARLEY_INTERNAL;
  jbyteArray jname = NewBytes(env, name, name_len);
  jbyteArray jsecret = jname ? NewBytes(env, secret, secret_len) : nullptr;
  if (jsecret == nullptr) return PARLEY_INTERNAL;
  // keyStorePut zeroes the array once the store has it.
  const jint rc = env->CallIntMethod(ctx->owner, g_key_store_put, jname, jsecret);
  return StoreFailed(env) ? PARLEY_IO_ERROR : rc;
}

int KeyStoreGet(void* context, const char* name, size_t name_len, uint8_t* buffer, size_t capacity,
                size_t* secret_len) {
  auto* ctx = static_cast<Context*>(context);
  CallbackEnv callback;
  JNIEnv* env = callback.get();
  if (env == nullptr) return PARLEY_INTERNAL;
  jbyteArray jname = NewBytes(env, name, name_len);
  if (jname == nullptr) return PARLEY_INTERNAL;
  auto secret = static_cast<jbyteArray>(env->CallObjectMethod(ctx->owner, g_key_store_get, jname));
  if (StoreFailed(env)) return PARLEY_IO_ERROR;
  if (secret == nullptr) return PARLEY_MISSING_SECRET;
  const jsize n = env->GetArrayLength(secret);
  *secret_len = static_cast<size_t>(n);
  if (static_cast<size_t>(n) <= capacity && n > 0) {
    env->GetByteArrayRegion(secret, 0, n, reinterpret_cast<jbyte*>(buffer));
  }
  // The store handed over a fresh copy: leave no secret in the Java heap's array.
  std::vector<jbyte> zeros(static_cast<std::size_t>(n), 0);
  if (n > 0) env->SetByteArrayRegion(secret, 0, n, zeros.data());
  return PARLEY_OK;
}

int KeyStoreErase(void* context, const char* name, size_t name_len) {
  auto* ctx = static_cast<Context*>(context);
  CallbackEnv callback;
  JNIEnv* env = callback.get();
  if (env == nullptr) return PARLEY_INTERNAL;
  jbyteArray jname = NewBytes(env, name, name_len);
  if (jname == nullptr) return PARLEY_INTERNAL;
  const jint rc = env->CallIntMethod(ctx->owner, g_key_store_erase, jname);
  return StoreFailed(env) ? PARLEY_IO_ERROR : rc;
}

// ---- nativeCall: the functions taking up to two strings and returning one ----

enum Op : jint {
  kDeviceName = 0,
  kPairingCode = 1,
  kVaultInfo = 2,
  kVaultCreate = 3,
  kTakeRecoveryKey = 4,
  kRecordCreate = 5,
  kRecordEdit = 6,
  kRecordDelete = 7,
  kRecordList = 8,
  kRecordShow = 9,
  kRecordHistory = 10,
  kSearch = 11,
  kBottomLine = 12,
  kCampaignStatusSet = 13,
  kConflicts = 14,
  kConflictResolve = 15,
  kBundleState = 16,
  kBundleExport = 17,
  kBundleImport = 18,
  kJoinWithInvite = 19,
  kJoinThroughRelays = 20,
  kMembers = 21,
  kMemberPromote = 22,
  kMemberDemote = 23,
  kMemberRevoke = 24,
  kRelayAdd = 25,
  kRelayList = 26,
  kRelayRemove = 27,
  kSync = 28,
  kStatus = 29,
};

// Runs `op`; PARLEY_INVALID_ARGUMENT for an unknown one. `out` receives the result, if any.
int Dispatch(parley_device* d, jint op, const InBytes& a, const InBytes& b, Owned<char>& out,
             parley_error* e) {
  char** o = &out.p;
  std::size_t* n = &out.len;
  switch (op) {
    case kDeviceName:
      return parley_device_name(d, o, n, e);
    case kPairingCode:
      return parley_pairing_code(d, o, n, e);
    case kVaultInfo:
      return parley_vault_info(d, o, n, e);
    case kVaultCreate:
      return parley_vault_create(d, a.chars(), a.size(), e);
    case kTakeRecoveryKey:
      return parley_take_recovery_key(d, o, n, e);
    case kRecordCreate:
      return parley_record_create(d, a.chars(), a.size(), o, n, e);
    case kRecordEdit:
      return parley_record_edit(d, a.chars(), a.size(), o, n, e);
    case kRecordDelete:
      return parley_record_delete(d, a.chars(), a.size(), b.chars(), b.size(), o, n, e);
    case kRecordList:
      return parley_record_list(d, a.chars(), a.size(), o, n, e);
    case kRecordShow:
      return parley_record_show(d, a.chars(), a.size(), b.chars(), b.size(), o, n, e);
    case kRecordHistory:
      return parley_record_history(d, a.chars(), a.size(), o, n, e);
    case kSearch:
      return parley_search(d, a.chars(), a.size(), o, n, e);
    case kBottomLine:
      return parley_bottom_line(d, a.chars(), a.size(), o, n, e);
    case kCampaignStatusSet:
      return parley_campaign_status_set(d, a.chars(), a.size(), b.chars(), b.size(), o, n, e);
    case kConflicts:
      return parley_conflicts(d, o, n, e);
    case kConflictResolve:
      return parley_conflict_resolve(d, a.chars(), a.size(), e);
    case kBundleState:
      return parley_bundle_state(d, o, n, e);
    case kBundleExport:
      return parley_bundle_export(d, a.chars(), a.size(), b.chars(), b.size(), o, n, e);
    case kBundleImport:
      return parley_bundle_import(d, a.chars(), a.size(), o, n, e);
    case kJoinWithInvite:
      return parley_join_with_invite(d, a.data(), a.size(), o, n, e);
    case kJoinThroughRelays:
      return parley_join_through_relays(d, a.chars(), a.size(), o, n, e);
    case kMembers:
      return parley_members(d, o, n, e);
    case kMemberPromote:
      return parley_member_promote(d, a.chars(), a.size(), o, n, e);
    case kMemberDemote:
      return parley_member_demote(d, a.chars(), a.size(), o, n, e);
    case kMemberRevoke:
      return parley_member_revoke(d, a.chars(), a.size(), o, n, e);
    case kRelayAdd:
      return parley_relay_add(d, a.chars(), a.size(), o, n, e);
    case kRelayList:
      return parley_relay_list(d, o, n, e);
    case kRelayRemove:
      return parley_relay_remove(d, a.chars(), a.size(), o, n, e);
    case kSync:
      return parley_sync(d, o, n, e);
    case kStatus:
      return parley_status(d, o, n, e);
    default:
      break;
  }
  std::strncpy(e->message, "unknown operation of the Java binding", sizeof e->message - 1);
  e->domain = PARLEY_DOMAIN_API;
  e->code = PARLEY_INVALID_ARGUMENT;
  return PARLEY_INVALID_ARGUMENT;
}

jmethodID Method(JNIEnv* env, jclass cls, const char* name, const char* signature,
                 bool is_static = false) {
  return is_static ? env->GetStaticMethodID(cls, name, signature)
                   : env->GetMethodID(cls, name, signature);
}

}  // namespace

extern "C" {

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM* vm, void*) {
  JNIEnv* env = nullptr;
  if (vm->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_6) != JNI_OK) return JNI_ERR;
  g_vm = vm;
  jclass exception = env->FindClass("org/parley/ParleyException");
  jclass device = exception ? env->FindClass("org/parley/Device") : nullptr;
  jclass bytes = device ? env->FindClass("[B") : nullptr;
  if (bytes == nullptr) return JNI_ERR;  // NoClassDefFoundError pending
  g_exception_class = static_cast<jclass>(env->NewGlobalRef(exception));
  g_byte_array_class = static_cast<jclass>(env->NewGlobalRef(bytes));
  g_exception_from_native = Method(env, exception, "fromNative",
                                   "(II[B)Lorg/parley/ParleyException;", /*is_static=*/true);
  g_on_event =
      g_exception_from_native ? Method(env, device, "onNativeEvent", "(I[BJII[BJI[B)V") : nullptr;
  g_key_store_put = g_on_event ? Method(env, device, "keyStorePut", "([B[B)I") : nullptr;
  g_key_store_get = g_key_store_put ? Method(env, device, "keyStoreGet", "([B)[B") : nullptr;
  g_key_store_erase = g_key_store_get ? Method(env, device, "keyStoreErase", "([B)I") : nullptr;
  env->DeleteLocalRef(exception);
  env->DeleteLocalRef(device);
  env->DeleteLocalRef(bytes);
  if (g_key_store_erase == nullptr || g_exception_class == nullptr || g_byte_array_class == nullptr)
    return JNI_ERR;
  return JNI_VERSION_1_6;
}

JNIEXPORT void JNICALL JNI_OnUnload(JavaVM* vm, void*) {
  JNIEnv* env = nullptr;
  if (vm->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_6) != JNI_OK) return;
  env->DeleteGlobalRef(g_exception_class);
  env->DeleteGlobalRef(g_byte_array_class);
}

// ---- org.parley.Parley ----

JNIEXPORT jbyteArray JNICALL Java_org_parley_Parley_nativeVersion(JNIEnv* env, jclass) {
  return NewBytes(env, parley_version());
}

JNIEXPORT jint JNICALL Java_org_parley_Parley_nativeVersionNumber(JNIEnv*, jclass) {
  return static_cast<jint>(parley_version_number());
}

JNIEXPORT jboolean JNICALL Java_org_parley_Parley_nativeStoreExists(JNIEnv* env, jclass,
                                                                    jbyteArray dir) {
  InBytes d(env, dir);
  return parley_store_exists(d.chars(), d.size()) == 1 ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT jbyteArray JNICALL Java_org_parley_Parley_nativeCodeName(JNIEnv* env, jclass, jint code) {
  return NewBytes(env, parley_code_name(code));
}

JNIEXPORT jbyteArray JNICALL Java_org_parley_Parley_nativeDomainName(JNIEnv* env, jclass,
                                                                     jint domain) {
  return NewBytes(env, parley_domain_name(domain));
}

// ---- org.parley.Device ----

JNIEXPORT jlong JNICALL Java_org_parley_Device_nativeOpen(
    JNIEnv* env, jclass, jobject self, jbyteArray data_dir, jbyteArray key_store_dir,
    jboolean host_key_store, jlong backoff_base_ms, jlong backoff_cap_ms, jlong connect_timeout_ms,
    jlong io_timeout_ms) {
  std::unique_ptr<Context> ctx(new (std::nothrow) Context);
  if (!ctx) {
    ThrowApi(env, PARLEY_INTERNAL, "out of memory");
    return 0;
  }
  ctx->owner = env->NewGlobalRef(self);
  if (ctx->owner == nullptr) {
    ThrowApi(env, PARLEY_INTERNAL, "out of memory");
    return 0;
  }
  InBytes dir(env, data_dir);
  InBytes keys(env, key_store_dir);
  parley_open_options options;
  parley_open_options_init(&options);
  if (host_key_store == JNI_TRUE) {
    ctx->key_store.context = ctx.get();
    ctx->key_store.put = KeyStorePut;
    ctx->key_store.get = KeyStoreGet;
    ctx->key_store.erase = KeyStoreErase;
    options.key_store = &ctx->key_store;
  }
  options.key_store_dir = keys.chars();
  options.key_store_dir_len = keys.size();
  options.backoff_base_ms = backoff_base_ms;
  options.backoff_cap_ms = backoff_cap_ms;
  options.connect_timeout_ms = connect_timeout_ms;
  options.io_timeout_ms = io_timeout_ms;
  parley_error error{};
  int rc = parley_device_open(dir.chars(), dir.size(), &options, &ctx->device, &error);
  if (rc == PARLEY_OK) rc = parley_set_event_handler(ctx->device, OnEvent, ctx.get(), &error);
  if (Fail(env, rc, error)) {
    parley_device_free(ctx->device);
    env->DeleteGlobalRef(ctx->owner);
    return 0;
  }
  return static_cast<jlong>(reinterpret_cast<std::intptr_t>(ctx.release()));
}

JNIEXPORT void JNICALL Java_org_parley_Device_nativeFree(JNIEnv* env, jclass, jlong handle) {
  Context* ctx = FromHandle(handle);
  if (ctx == nullptr) return;
  // Stops the background sync first: no callback uses the context afterwards.
  parley_device_free(ctx->device);
  env->DeleteGlobalRef(ctx->owner);
  delete ctx;
}

JNIEXPORT void JNICALL Java_org_parley_Device_nativeCreate(
    JNIEnv* env, jclass, jlong handle, jbyteArray device_name, jbyteArray vault_name,
    jbyteArray passphrase, jlong argon2_ops, jlong argon2_mem_bytes, jboolean issue_recovery_key,
    jint wipe_after) {
  InBytes name(env, device_name);
  InBytes vault(env, vault_name);
  InBytes secret(env, passphrase, /*secret=*/true);
  parley_create_options options;
  parley_create_options_init(&options);
  options.argon2_ops = static_cast<std::uint64_t>(argon2_ops);
  options.argon2_mem_bytes = static_cast<std::uint64_t>(argon2_mem_bytes);
  options.issue_recovery_key = issue_recovery_key == JNI_TRUE ? 1 : 0;
  options.wipe_after = static_cast<std::uint32_t>(wipe_after);
  parley_error error{};
  Fail(env,
       parley_device_create(FromHandle(handle)->device, name.chars(), name.size(), vault.chars(),
                            vault.size(), secret.chars(), secret.size(), &options, &error),
       error);
}

JNIEXPORT void JNICALL Java_org_parley_Device_nativeUnlock(JNIEnv* env, jclass, jlong handle,
                                                           jbyteArray passphrase) {
  InBytes secret(env, passphrase, /*secret=*/true);
  parley_error error{};
  Fail(env, parley_device_unlock(FromHandle(handle)->device, secret.chars(), secret.size(), &error),
       error);
}

JNIEXPORT void JNICALL Java_org_parley_Device_nativeChangePassphrase(JNIEnv* env, jclass,
                                                                     jlong handle,
                                                                     jbyteArray current,
                                                                     jbyteArray next) {
  InBytes a(env, current, /*secret=*/true);
  InBytes b(env, next, /*secret=*/true);
  parley_error error{};
  Fail(env,
       parley_device_change_passphrase(FromHandle(handle)->device, a.chars(), a.size(), b.chars(),
                                       b.size(), &error),
       error);
}

JNIEXPORT void JNICALL Java_org_parley_Device_nativeLock(JNIEnv* env, jclass, jlong handle) {
  parley_error error{};
  Fail(env, parley_device_lock(FromHandle(handle)->device, &error), error);
}

JNIEXPORT void JNICALL Java_org_parley_Device_nativeWipe(JNIEnv* env, jclass, jlong handle) {
  parley_error error{};
  Fail(env, parley_device_wipe(FromHandle(handle)->device, &error), error);
}

JNIEXPORT jboolean JNICALL Java_org_parley_Device_nativeIsUnlocked(JNIEnv*, jclass, jlong handle) {
  return parley_device_is_unlocked(FromHandle(handle)->device) == 1 ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT jbyteArray JNICALL Java_org_parley_Device_nativeCall(JNIEnv* env, jclass, jlong handle,
                                                               jint op, jbyteArray a,
                                                               jbyteArray b) {
  InBytes first(env, a);
  InBytes second(env, b);
  Owned<char> out;
  parley_error error{};
  if (Fail(env, Dispatch(FromHandle(handle)->device, op, first, second, out, &error), error))
    return nullptr;
  if (out.p == nullptr) return nullptr;  // a call without a result
  return NewBytes(env, out.p, out.len);
}

JNIEXPORT jobjectArray JNICALL Java_org_parley_Device_nativeInvite(JNIEnv* env, jclass,
                                                                   jlong handle,
                                                                   jbyteArray pairing_code) {
  InBytes code(env, pairing_code);
  Owned<std::uint8_t> invite;
  Owned<char> json;
  parley_error error{};
  const int rc = parley_invite(FromHandle(handle)->device, code.chars(), code.size(), &invite.p,
                               &invite.len, &json.p, &json.len, &error);
  if (Fail(env, rc, error)) return nullptr;
  jobjectArray out = env->NewObjectArray(2, g_byte_array_class, nullptr);
  if (out == nullptr) return nullptr;
  jbyteArray invite_bytes = NewBytes(env, invite.p, invite.len);
  if (invite_bytes == nullptr) return nullptr;
  env->SetObjectArrayElement(out, 0, invite_bytes);
  env->DeleteLocalRef(invite_bytes);
  jbyteArray json_bytes = NewBytes(env, json.p, json.len);
  if (json_bytes == nullptr) return nullptr;
  env->SetObjectArrayElement(out, 1, json_bytes);
  env->DeleteLocalRef(json_bytes);
  return out;
}

JNIEXPORT void JNICALL Java_org_parley_Device_nativeSyncStart(JNIEnv* env, jclass, jlong handle) {
  parley_error error{};
  Fail(env, parley_sync_start(FromHandle(handle)->device, &error), error);
}

JNIEXPORT jboolean JNICALL Java_org_parley_Device_nativeSyncStop(JNIEnv* env, jclass, jlong handle,
                                                                 jlong deadline_ms) {
  int stopped = 0;
  parley_error error{};
  if (Fail(env, parley_sync_stop(FromHandle(handle)->device, deadline_ms, &stopped, &error), error))
    return JNI_FALSE;
  return stopped == 1 ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT void JNICALL Java_org_parley_Device_nativeNetworkChanged(JNIEnv*, jclass, jlong handle,
                                                                   jboolean available) {
  parley_network_changed(FromHandle(handle)->device, available == JNI_TRUE ? 1 : 0);
}

JNIEXPORT void JNICALL Java_org_parley_Device_nativeWake(JNIEnv*, jclass, jlong handle) {
  parley_wake(FromHandle(handle)->device);
}

JNIEXPORT jint JNICALL Java_org_parley_Device_nativeSyncState(JNIEnv*, jclass, jlong handle) {
  return parley_sync_state(FromHandle(handle)->device);
}

}  // extern "C"
