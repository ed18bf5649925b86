"""Push services (APNs, FCM) behind the `PushSender` port."""
