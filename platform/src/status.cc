#include "parley/platform/status.h"

namespace parley {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid argument";
    case Code::kNotFound:
      return "not found";
    case Code::kAlreadyExists:
      return "already exists";
    case Code::kCorrupt:
      return "tampered or corrupt";
    case Code::kWrongPassphrase:
      return "wrong passphrase";
    case Code::kMissingSecret:
      return "missing key-store secret";
    case Code::kIoError:
      return "I/O error";
    case Code::kDiskFull:
      return "disk full";
    case Code::kBusy:
      return "busy";
    case Code::kLocked:
      return "locked";
    case Code::kUnsupported:
      return "unsupported";
    case Code::kPermissionDenied:
      return "permission denied";
    case Code::kConflict:
      return "conflict";
    case Code::kInternal:
      return "internal error";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kCancelled:
      return "cancelled";
    case Code::kThrottled:
      return "throttled";
    case Code::kWiped:
      return "wiped";
  }
  return "unknown";
}

std::string_view DomainName(Domain domain) {
  switch (domain) {
    case Domain::kNone:
      return "none";
    case Domain::kPlatform:
      return "platform";
    case Domain::kCrypto:
      return "crypto";
    case Domain::kStore:
      return "store";
    case Domain::kLog:
      return "log";
    case Domain::kModel:
      return "model";
    case Domain::kSync:
      return "sync";
    case Domain::kApp:
      return "app";
  }
  return "unknown";
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return rep_ ? rep_->message : kEmpty;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(CodeName(rep_->code));
  if (!rep_->message.empty()) {
    out += ": ";
    out += rep_->message;
  }
  return out;
}

Status Status::Annotate(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += rep_->message;
  return Status(rep_->domain, rep_->code, std::move(msg));
}

}  // namespace parley
