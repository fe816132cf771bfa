/* Umbrella header of the CEpoll C shim: mechanism only, policy lives in Swift. */
#include "cep_sys.h"
#include "cep_http.h"
#include "cep_tls.h"
#include "cep_timer.h"
#include "cep_crypto.h"
